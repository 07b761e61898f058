/**
 * The aggregator of the studies that name this organization: it keeps rounds moving and
 * publishes their results. When a phase's deadline passes with participants missing it sends
 * `fl.advance`; when enough survivors have revealed their shares (all of them, or at least the
 * threshold once the deadline passed) it recomputes the round's aggregate from the ledger
 * (core `recomputeRound`, exactly what every node will check) and sends `fl.aggregate` with the
 * hash of the model that follows.
 *
 * What it sees is what every ledger reader sees: public keys, shares sealed to other
 * participants, masked updates, and at unmasking the self-mask seeds of the survivors and the
 * mask keys of the dropped — never both for one participant, so never an individual update.
 * It holds no secret but its node key. Events: 'advanced', 'aggregated', 'error' (if listened to).
 */
import { EventEmitter } from 'node:events';
import { Wallet, advanceStudyTx, aggregateRoundTx } from '@medledger/client';
import {
  getRound,
  getStudy,
  getStudyIds,
  readRoundTranscript,
  recomputeRound,
  type FlStudy,
} from '@medledger/core/contracts/fl';
import { LedgerError, rejectionCode } from '@medledger/core';
import { flStateReader, type FlLedger } from './ledger.js';

export interface FlAggregatorOptions {
  ledger: FlLedger;
  /** This organization (the `aggregator` the studies name). */
  org: string;
  /** PKCS#8 DER of the key of `node:<org>`. */
  nodeKey: Uint8Array;
  /** How often deadlines are checked when no block arrives (default 200 ms). */
  tickMs?: number;
  /** How long before an attempt that changed nothing is repeated (default 1000 ms). */
  retryMs?: number;
  now?: () => number;
}

export class FlAggregator extends EventEmitter {
  readonly org: string;
  readonly #o: FlAggregatorOptions;
  readonly #wallet: Wallet;
  readonly #now: () => number;
  /** Attempts by what they were for, with their time: one submission per state, retried later. */
  readonly #tried = new Map<string, number>();
  #off: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(o: FlAggregatorOptions) {
    super();
    this.#o = o;
    this.org = o.org;
    this.#wallet = new Wallet({ signerId: `node:${o.org}`, privateKey: o.nodeKey });
    this.#now = o.now ?? Date.now;
  }

  start(): this {
    this.#off ??= this.#o.ledger.onBlock(() => this.poke());
    this.#timer ??= setInterval(() => this.poke(), this.#o.tickMs ?? 200);
    this.#timer.unref();
    this.poke();
    return this;
  }

  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

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

  /** One pass over the studies this organization aggregates. */
  async step(): Promise<void> {
    const state = flStateReader(this.#o.ledger);
    for (const id of getStudyIds(state)) {
      const study = getStudy(state, id);
      if (!study || study.aggregator !== this.org) continue;
      try {
        await this.#stepStudy(study);
      } catch (e) {
        if (this.listenerCount('error') > 0) this.emit('error', e);
      }
    }
  }

  async #once(key: string, act: () => Promise<void>): Promise<void> {
    const last = this.#tried.get(key);
    if (last !== undefined && this.#now() - last < (this.#o.retryMs ?? 1000)) return;
    this.#tried.set(key, this.#now());
    await act();
  }

  #advance(study: FlStudy, key: string): Promise<void> {
    return this.#once(key, async () => {
      const ctx = { wallet: this.#wallet, chainId: this.#o.ledger.chainId };
      const txId = await this.#o.ledger.submit(advanceStudyTx(ctx, study.studyId));
      this.emit('advanced', { studyId: study.studyId, round: study.round, txId });
    });
  }

  async #stepStudy(study: FlStudy): Promise<void> {
    const now = this.#now();
    if (study.status === 'joining') {
      if (now >= study.joinDeadline) await this.#advance(study, `${study.studyId}:join`);
      return;
    }
    if (study.status !== 'running') return;
    const state = flStateReader(this.#o.ledger);
    const round = getRound(state, study.studyId, study.round);
    if (!round) return;
    const key = `${study.studyId}:${round.round}:${round.phase}`;
    if (round.phase !== 'unmask') {
      if (now >= round.deadline) await this.#advance(study, `${key}:${round.deadline}`);
      return;
    }
    const enough = round.posted.length >= study.threshold;
    const late = now >= round.deadline;
    if (round.posted.length < round.expected.length && !late) return;
    if (!enough) return this.#advance(study, `${key}:fail`); // past the deadline: the round fails
    await this.#once(`${key}:aggregate:${round.posted.length}`, async () => {
      const r = recomputeRound(readRoundTranscript(state, this.#o.ledger.chainId, study, round));
      // Shares that do not unmask: past the deadline the ledger fails the round on fl.advance.
      if (!r.ok && late) return this.#advance(study, `${key}:unmask-failed`);
      if (!r.ok)
        throw new LedgerError(
          { code: rejectionCode(r.code), studyId: study.studyId, round: round.round },
          `round ${round.round} of ${study.studyId}: ${r.message}`,
        );
      const ctx = { wallet: this.#wallet, chainId: this.#o.ledger.chainId };
      const tx = aggregateRoundTx(ctx, study.studyId, round.round, {
        aggregate: r.aggregateB64u,
        modelHash: r.model.hash,
      });
      const txId = await this.#o.ledger.submit(tx);
      this.emit('aggregated', { studyId: study.studyId, round: round.round, txId, modelHash: r.model.hash });
    });
  }
}
