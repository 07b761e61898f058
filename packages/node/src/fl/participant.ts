/**
 * A hospital's federated-learning participant: for every running study its organization
 * joined, it follows the rounds on the ledger and plays its part of the secure aggregation
 * (client/src/fl/protocol.ts) — round keys, dealt shares, the masked update, unmasking — with
 * its node key. Each round it selects the records it may use (eligibility.ts: consent for
 * research, decided at the round's opening block), and trains on them locally (logreg.ts):
 * round 0 sends feature sums and sums of squares, later rounds the record-weighted change of
 * the weights after `localEpochs` gradient steps from the ledger's current model.
 *
 * Events: 'eligible' (counts of the round's records), 'posted' ({studyId, round, phase, txId}),
 * 'error' (only if listened to). Secrets: the round's X25519 keys, the self-mask seed and the
 * shares dealt to it live in this process and are dropped when the round ends; a participant
 * restarted mid-round has lost them and counts as dropped for that round. It keeps the opening
 * of each update commitment (salt, update, record ids) for its operators and auditors, and the
 * features of the records it has read for a study (decrypted once) until the study ends.
 */
import { EventEmitter } from 'node:events';
import { encodeFixedPoint, gaussianSamples, randomBytes, type RandomSource } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import {
  createRoundSecrets,
  dealShares,
  joinStudyTx,
  maskUpdate,
  postKeysTx,
  postSharesTx,
  postUnmaskTx,
  submitUpdateTx,
  unmaskShares,
  updateCommitment,
  type RoundSecrets,
} from '@medledger/client';
import {
  flKeys,
  getModel,
  getRound,
  getStudy,
  getStudyIds,
  type FlKeysPost,
  type FlRound,
  type FlSharesPost,
  type FlStudy,
} from '@medledger/core/contracts/fl';
import { LedgerError, type SignedTx } from '@medledger/core';
import type { EhrStore } from '../ehr/types.js';
import { eligibleRecords, type EligibleRecords } from './eligibility.js';
import { flStateReader, type FlLedger } from './ledger.js';
import { clippedGradientSum, momentsOf, trainLocal, type Sample } from './logreg.js';

export interface FlParticipantOptions {
  ledger: FlLedger;
  /** This hospital's organization id. */
  org: string;
  /** PKCS#8 DER of the key of `node:<org>`. */
  nodeKey: Uint8Array;
  /** The hospital's EHR store: the records it trains on. */
  ehr: EhrStore;
  /** Join every study that names this organization (default false: call `join`). */
  autoJoin?: boolean;
  random?: RandomSource;
}

/** What a participant keeps to open its update commitment to an auditor. */
export interface UpdateOpening {
  salt: Uint8Array;
  /** The update in Z_q, as committed and masked. */
  input: bigint[];
  recordIds: string[];
  commitment: string;
}

interface RoundWork {
  secrets?: RoundSecrets;
  data?: EligibleRecords;
  sent: Set<string>;
}

type Phase = 'keys' | 'shares' | 'update' | 'unmask';

export class FlParticipant extends EventEmitter {
  readonly org: string;
  readonly #o: FlParticipantOptions;
  readonly #wallet: Wallet;
  readonly #random: RandomSource;
  readonly #work = new Map<string, RoundWork>();
  readonly #openings = new Map<string, UpdateOpening>();
  readonly #joining = new Set<string>();
  /** Features of the records read for a study, by study id (see eligibleRecords). */
  readonly #features = new Map<string, Map<string, Sample | null>>();
  #off: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(o: FlParticipantOptions) {
    super();
    this.#o = o;
    this.org = o.org;
    this.#wallet = new Wallet({ signerId: `node:${o.org}`, privateKey: o.nodeKey });
    this.#random = o.random ?? randomBytes;
  }

  /** Follows the ledger from now on. */
  start(): this {
    this.#off ??= this.#o.ledger.onBlock(() => this.poke());
    this.poke();
    return this;
  }

  /** Stops following the ledger and forgets every round secret. */
  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    await this.#running;
    for (const key of [...this.#work.keys()]) this.#forget(key);
    this.#features.clear();
  }

  /** Runs a step now, or right after the one in progress. */
  poke(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.step();
      } while (this.#again && this.#off);
    })().finally(() => (this.#running = undefined));
  }

  /** Joins a study that names this organization; returns the transaction id. */
  async join(studyId: string): Promise<string> {
    this.#joining.add(studyId);
    return this.#o.ledger.submit(joinStudyTx(this.#ctx(), studyId));
  }

  /** The opening of this participant's update commitment of a round, if it sent one. */
  opening(studyId: string, round: number): UpdateOpening | undefined {
    return this.#openings.get(`${studyId}:${round}`);
  }

  /** One pass over the studies: does whatever the ledger now asks of this participant. */
  async step(): Promise<void> {
    const ids = getStudyIds(flStateReader(this.#o.ledger));
    for (const id of ids) {
      try {
        await this.#stepStudy(id);
      } catch (e) {
        if (this.listenerCount('error') > 0) this.emit('error', e);
      }
    }
  }

  #ctx() {
    return { wallet: this.#wallet, chainId: this.#o.ledger.chainId };
  }

  #forget(key: string): void {
    const w = this.#work.get(key);
    w?.secrets?.c.privateKey.fill(0);
    w?.secrets?.s.privateKey.fill(0);
    w?.secrets?.selfSeed?.fill(0);
    this.#work.delete(key);
  }

  async #send(w: RoundWork, round: FlRound, phase: Phase, tx: SignedTx): Promise<void> {
    w.sent.add(phase);
    const txId = await this.#o.ledger.submit(tx);
    this.emit('posted', { studyId: round.studyId, round: round.round, phase, txId });
  }

  async #stepStudy(id: string): Promise<void> {
    const state = flStateReader(this.#o.ledger);
    const study = getStudy(state, id);
    if (!study || !study.participants.includes(this.org)) return;
    if (study.status === 'joining') {
      if (this.#o.autoJoin && !study.joined.includes(this.org) && !this.#joining.has(id)) await this.join(id);
      return;
    }
    for (const key of [...this.#work.keys()])
      if (key.startsWith(`${id}:`) && (study.status !== 'running' || key !== `${id}:${study.round}`))
        this.#forget(key);
    if (study.status !== 'running') this.#features.delete(id);
    if (study.status !== 'running' || !study.active.includes(this.org)) return;
    const round = getRound(state, id, study.round);
    if (!round || !round.expected.includes(this.org) || round.posted.includes(this.org)) return;
    if (round.contributions[this.org]?.status === 'malformed') return;
    const key = `${id}:${round.round}`;
    let w = this.#work.get(key);
    if (!w) this.#work.set(key, (w = { sent: new Set() }));
    switch (round.phase) {
      case 'keys':
        return this.#keys(w, study, round);
      case 'shares':
        return this.#shares(w, study, round);
      case 'masked':
        return this.#update(w, study, round);
      case 'unmask':
        return this.#unmask(w, study, round);
      default:
        return;
    }
  }

  async #keys(w: RoundWork, study: FlStudy, round: FlRound): Promise<void> {
    if (w.sent.has('keys')) return;
    w.sent.add('keys');
    let cache = this.#features.get(study.studyId);
    if (!cache) this.#features.set(study.studyId, (cache = new Map()));
    w.data = await eligibleRecords({
      ledger: this.#o.ledger,
      ehr: this.#o.ehr,
      org: this.org,
      study,
      round,
      cache,
    });
    const { rows, considered, noConsent, notAnchored, unusable } = w.data;
    this.emit('eligible', {
      studyId: study.studyId,
      round: round.round,
      records: rows.length,
      considered,
      noConsent,
      notAnchored,
      unusable,
    });
    if (rows.length === 0) return; // nothing to contribute: sit this round out
    const { secrets, keys } = createRoundSecrets(study.studyId, round.round, this.#random);
    w.secrets = secrets;
    await this.#send(w, round, 'keys', postKeysTx(this.#ctx(), study.studyId, round.round, keys));
  }

  #posts<T>(study: FlStudy, round: FlRound, orgs: readonly string[], keyOf: typeof flKeys.keys) {
    const out: { [org: string]: T } = {};
    for (const o of orgs) {
      const v = this.#o.ledger.state(keyOf(study.studyId, round.round, o));
      if (v !== undefined) out[o] = v as T;
    }
    return out;
  }

  async #shares(w: RoundWork, study: FlStudy, round: FlRound): Promise<void> {
    if (w.sent.has('shares') || !w.secrets) return;
    w.sent.add('shares');
    const keys = this.#posts<FlKeysPost>(study, round, round.expected, flKeys.keys);
    const dealt = await dealShares({
      chainId: this.#o.ledger.chainId,
      study,
      round,
      self: this.org,
      secrets: w.secrets,
      keys,
      random: this.#random,
    });
    await this.#send(w, round, 'shares', postSharesTx(this.#ctx(), study.studyId, round.round, dealt));
  }

  /**
   * Round 0: feature moments; later rounds: n · (locally trained weights − current weights).
   * With differential privacy: −lr · (clipped per-record gradients + Gaussian noise of standard
   * deviation noiseMultiplier · clip / sqrt(t), so that any t shares sum to at least the
   * study's noise) − lr · n · l2 · weights (one step; the penalty does not touch the records).
   */
  #values(study: FlStudy, round: FlRound, data: EligibleRecords): number[] {
    const f = study.model.features;
    if (round.kind === 'moments') return momentsOf(data.rows, f);
    const model = getModel(flStateReader(this.#o.ledger), study.studyId, round.round - 1);
    if (!model)
      throw new LedgerError(
        { code: 'FL_NO_MODEL', studyId: study.studyId, round: round.round - 1 },
        `no model after round ${round.round - 1} of ${study.studyId}`,
      );
    const { localEpochs, learningRate, l2 } = study.hyper;
    if (study.dp) {
      const { clip, noiseMultiplier } = study.dp;
      const sum = clippedGradientSum(model, data.rows, clip);
      const noise = gaussianSamples(
        f + 1,
        (noiseMultiplier * clip) / Math.sqrt(study.threshold),
        this.#random,
      );
      const n = data.rows.length;
      return sum.map((g, j) => -learningRate * (g + noise[j]! + (j < f ? n * l2 * model.weights[j]! : 0)));
    }
    const trained = trainLocal(model, data.rows, localEpochs, learningRate, l2);
    return trained.map((wt, j) => data.rows.length * (wt - model.weights[j]!));
  }

  async #update(w: RoundWork, study: FlStudy, round: FlRound): Promise<void> {
    if (w.sent.has('update') || !w.secrets?.selfSeed || !w.data) return;
    w.sent.add('update');
    const input = encodeFixedPoint(this.#values(study, round, w.data));
    const recordIds = w.data.rows.map((r) => r.recordId);
    const salt = this.#random(32).slice();
    const commitment = updateCommitment(salt, input, recordIds);
    this.#openings.set(`${study.studyId}:${round.round}`, { salt, input, recordIds, commitment });
    const keys = this.#posts<FlKeysPost>(study, round, round.u2 ?? [], flKeys.keys);
    const masked = maskUpdate({
      chainId: this.#o.ledger.chainId,
      study,
      round,
      self: this.org,
      secrets: w.secrets,
      keys,
      input,
    });
    const tx = submitUpdateTx(this.#ctx(), study.studyId, round.round, {
      masked,
      records: recordIds.length,
      commitment,
    });
    await this.#send(w, round, 'update', tx);
  }

  async #unmask(w: RoundWork, study: FlStudy, round: FlRound): Promise<void> {
    if (w.sent.has('unmask') || !w.secrets) return;
    w.sent.add('unmask');
    const dealt = this.#posts<FlSharesPost>(study, round, round.u2 ?? [], flKeys.shares);
    const shares = await unmaskShares({
      chainId: this.#o.ledger.chainId,
      study,
      round,
      self: this.org,
      secrets: w.secrets,
      dealt,
    });
    await this.#send(w, round, 'unmask', postUnmaskTx(this.#ctx(), study.studyId, round.round, shares));
  }
}
