/**
 * Anonymous authentication to a node with BBS credential presentations, and enrolments that
 * need a zero-knowledge predicate.
 *
 * Read flow: the member asks for a challenge naming the issuer (its organization); the node
 * answers with a presentation request it keeps (fresh 32-byte nonce, its time for the expiry
 * check, `reveal: [role, organization]`, the issuer's accumulator value from the ledger,
 * and a context naming this chain and node). The member answers with an unlinkable proof; the
 * node consumes the challenge (so a presentation is accepted once: replay fails), verifies
 * against its own copy, requires the revealed organization to be the issuer, derives the
 * per-presentation pseudonym id, decides with `decideAnonymousRead` (the consent decision of
 * named reads with requester {pseudonym id, org, role}) and records the access on the ledger
 * in an `anon.read.log` transaction under the pseudonym id, whatever the outcome, with the
 * request and the presentation, so that every node (and `medledger verify`) re-verifies it
 * (proofCheck.ts): a node cannot log a read no credential holder asked for.
 *
 * Revocation: the accumulator value is the one on the ledger when the challenge was made; if a
 * credential was revoked (a `remove` update) since, the answer is refused (CHALLENGE_STALE)
 * and the member asks again, so a revocation takes effect for new reads as soon as it commits.
 *
 * Enrolment flow (`anon.trial.enrol`): the same, with the trial's predicate (age >= minAge at
 * today's UTC date over the hidden birth date), the scope `trial:<id>` (one pseudonym per
 * credential and trial) and no disclosed attribute; the node verifies the proof (about 0.3 s,
 * asynchronous WASM: too slow and asynchronous for a contract) and relays the enrolment
 * signed by its node key; the contract checks the request against the ledger, and every node
 * verifies the proof again before applying the block (proofCheck.ts).
 *
 * Threat model: the node learns the disclosed role and organization and the pseudonym, and
 * the network metadata of the request; the ledger learns the same minus the network metadata
 * (the presentation is in the log entry). Two reads by one member share no identifier in what
 * the node logs (fresh pseudonym per presentation). Small organizations or rare roles shrink
 * the anonymity set; timing and IP addresses are not hidden.
 */
import {
  presentationFromJson,
  presentationRequestToJson,
  presentationToJson,
  type Presentation,
  type PresentationRequest,
} from '@medledger/crypto/credentials';
import { ageAtLeast, timeToDateNumber } from '@medledger/crypto/zk';
import { fromB64u, randomBytes, toB64u, type JsonValue } from '@medledger/crypto';
import { LedgerError, isTxOf } from '@medledger/core';
import type { Purpose } from '@medledger/core';
import {
  anonReadContext,
  decideAnonymousRead,
  getAccumulatorUpdates,
  pseudonymIdOf,
  getIssuer,
  getTrial,
  trialContext,
  trialScope,
  type IssuerEntry,
} from '@medledger/core/contracts/anonymity';
import type { Receipt } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import type { AnonymousRelay } from './relay.js';
import { deidentifyResource } from '../records/deidentify.js';
import { presentationChecker, verifyCredentialProof } from './proofCheck.js';

export { pseudonymIdOf } from '@medledger/core/contracts/anonymity';

const PURPOSES: readonly string[] = ['treatment', 'payment', 'research', 'emergency'];

interface Challenge {
  kind: 'read' | 'trial';
  issuer: string;
  trialId?: string;
  request: PresentationRequest;
  seq: number;
  expiresAt: number;
}

export interface AnonymousReadResult {
  allow: boolean;
  code: string;
  basis?: string;
  grantId?: string;
  /** The id the access is logged under (fresh per presentation). */
  requester: string;
  recordId: string;
  logTxId: string;
  logReceipt?: Receipt;
  /** A DSS record's FHIR resource, or what `serveRecord` returns for other modes. */
  resource?: JsonValue;
}

export interface AnonymousVerifierOptions {
  node: LedgerView;
  /** The relay that signs this node's transactions (access logs, enrolments). */
  relay: AnonymousRelay;
  now?: () => number;
  /** Lifetime of a challenge (default 2 minutes). */
  challengeTtlMs?: number;
  /** Serves an allowed SPV/STT read (e.g. from the EHR store); DSS records come from the ledger. */
  serveRecord?: (recordId: string) => Promise<JsonValue | undefined>;
}

export class AnonymousVerifier {
  readonly #o: AnonymousVerifierOptions;
  readonly #now: () => number;
  readonly #challenges = new Map<string, Challenge>();

  constructor(o: AnonymousVerifierOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  #issuer(org: string): IssuerEntry {
    const issuer = getIssuer(this.#o.node.store, org);
    if (!issuer)
      throw new LedgerError({ code: 'NOT_FOUND' }, `organization ${org} has no registered issuer key`);
    return issuer;
  }

  #newChallenge(c: Omit<Challenge, 'expiresAt'>): { challengeId: string; request: Record<string, unknown> } {
    const now = this.#now();
    for (const [k, v] of this.#challenges) if (v.expiresAt < now) this.#challenges.delete(k);
    const challengeId = toB64u(c.request.nonce);
    this.#challenges.set(challengeId, { ...c, expiresAt: now + (this.#o.challengeTtlMs ?? 120_000) });
    return { challengeId, request: presentationRequestToJson(c.request) };
  }

  #revocation(issuer: IssuerEntry): NonNullable<PresentationRequest['revocation']> {
    return { publicKey: fromB64u(issuer.accumulatorPublicKey), accumulated: fromB64u(issuer.accumulated) };
  }

  /** A challenge for an anonymous read with a credential of `issuer`. */
  readChallenge(issuer: string): { challengeId: string; request: Record<string, unknown> } {
    const entry = this.#issuer(issuer);
    const request: PresentationRequest = {
      nonce: randomBytes(32),
      now: this.#now(),
      reveal: ['organization', 'role'],
      revocation: this.#revocation(entry),
      context: anonReadContext(this.#o.node.chainId, this.#o.node.org),
    };
    return this.#newChallenge({ kind: 'read', issuer, request, seq: entry.seq });
  }

  /** A challenge for an anonymous enrolment in a trial with a credential of `issuer`. */
  trialChallenge(trialId: string, issuer: string): { challengeId: string; request: Record<string, unknown> } {
    const trial = getTrial(this.#o.node.store, trialId);
    if (!trial) throw new LedgerError({ code: 'NOT_FOUND' }, `no trial ${trialId}`);
    if (!trial.issuers.includes(issuer))
      throw new LedgerError(
        { code: 'FORBIDDEN' },
        `trial ${trialId} does not accept credentials of ${issuer}`,
      );
    const entry = this.#issuer(issuer);
    const now = this.#now();
    const request: PresentationRequest = {
      nonce: randomBytes(32),
      now,
      predicates: [ageAtLeast(trial.minAge, timeToDateNumber(now), trial.attribute)],
      scope: trialScope(trialId),
      revocation: this.#revocation(entry),
      context: trialContext(this.#o.node.chainId, trialId),
    };
    return this.#newChallenge({ kind: 'trial', issuer, trialId, request, seq: entry.seq });
  }

  /** Consumes a challenge and verifies the presentation against it. */
  async #verify(
    challengeId: unknown,
    presentationJson: unknown,
    kind: Challenge['kind'],
  ): Promise<{ c: Challenge; p: Presentation; revealed: Record<string, string | number> }> {
    if (typeof challengeId !== 'string')
      throw new LedgerError({ code: 'MALFORMED_REQUEST' }, 'challengeId is required');
    const c = this.#challenges.get(challengeId);
    this.#challenges.delete(challengeId);
    if (!c || c.kind !== kind || c.expiresAt < this.#now())
      throw new LedgerError({ code: 'CHALLENGE_UNKNOWN' }, 'unknown, expired or already used challenge');
    let p: Presentation;
    try {
      p = presentationFromJson(presentationJson);
    } catch (e) {
      throw new LedgerError({ code: 'MALFORMED_REQUEST' }, `presentation: ${(e as Error).message}`);
    }
    const issuer = this.#issuer(c.issuer);
    // Memoized: admission and the block pipeline verify the same presentation again for free.
    const r = await verifyCredentialProof(
      issuer.publicKey,
      presentationRequestToJson(c.request),
      presentationToJson(p),
    );
    if (!r.ok) throw new LedgerError({ code: 'PRESENTATION_INVALID' }, r.reason);
    const removed = getAccumulatorUpdates(this.#o.node.store, c.issuer, c.seq).some((u) => u.op === 'remove');
    if (removed)
      throw new LedgerError(
        { code: 'CHALLENGE_STALE' },
        'a credential was revoked since the challenge: ask again',
      );
    return { c, p, revealed: r.revealed };
  }

  /**
   * Verifies an anonymous read and decides it; logs the access on the ledger under the
   * presentation's pseudonym id (allowed or denied).
   * @throws LedgerError CHALLENGE_UNKNOWN (replay, expired), PRESENTATION_INVALID (bad or revoked
   *   credential), CHALLENGE_STALE, NOT_FOUND (no such record), MALFORMED_REQUEST
   */
  async read(p: {
    challengeId: unknown;
    presentation: unknown;
    recordId: unknown;
    purpose: unknown;
    waitMs?: number;
  }): Promise<AnonymousReadResult> {
    if (typeof p.recordId !== 'string' || !/^[A-Za-z0-9._:@-]{1,128}$/.test(p.recordId))
      throw new LedgerError({ code: 'MALFORMED_REQUEST' }, 'recordId is required');
    if (typeof p.purpose !== 'string' || !PURPOSES.includes(p.purpose))
      throw new LedgerError({ code: 'MALFORMED_REQUEST' }, `purpose must be one of ${PURPOSES.join(', ')}`);
    const { c, p: pres, revealed } = await this.#verify(p.challengeId, p.presentation, 'read');
    if (revealed.organization !== c.issuer)
      throw new LedgerError(
        { code: 'PRESENTATION_INVALID' },
        'the credential names another organization than its issuer',
      );
    const node = this.#o.node;
    const requester = pseudonymIdOf(pres.pseudonym);
    const at = this.#now();
    const d = decideAnonymousRead(
      node.store,
      { memberId: requester, org: c.issuer, role: String(revealed.role) },
      p.recordId,
      p.purpose as Purpose,
      at,
      node.head().height,
    );
    if (d.code === 'UNKNOWN_RECORD') throw new LedgerError({ code: 'NOT_FOUND' }, `no record ${p.recordId}`);
    const entry = {
      recordId: p.recordId,
      purpose: p.purpose,
      outcome: d.allow ? 'allowed' : 'denied',
      ...(d.allow ? {} : { code: d.code }),
      at,
      issuer: c.issuer,
      request: presentationRequestToJson(c.request) as { [k: string]: JsonValue },
      presentation: presentationToJson(pres) as { [k: string]: JsonValue },
    };
    const log = await this.#o.relay.submit('anon.read.log', entry, p.waitMs ?? 0);
    const out: AnonymousReadResult = {
      allow: d.allow,
      code: d.code,
      requester,
      recordId: p.recordId,
      logTxId: log.txId,
      ...(log.receipt ? { logReceipt: log.receipt } : {}),
      ...(d.allow ? { basis: d.basis } : {}),
      ...(d.grantId === undefined ? {} : { grantId: d.grantId }),
    };
    if (d.allow && d.record) {
      let resource: JsonValue | undefined;
      if (d.record.mode === 'dss') {
        resource = node.getTxWithProof(d.record.txId)?.tx.body.payload?.resource;
      } else if (this.#o.serveRecord) {
        resource = await this.#o.serveRecord(p.recordId);
      }
      // The view is the decision's (core/access/decideRecordRead): a secondary use without
      // linkage is served de-identified, as it would be to a named reader.
      if (resource !== undefined && d.view === 'deidentified' && isObject(resource))
        resource = deidentifyResource(resource).resource;
      if (resource !== undefined) out.resource = resource;
    }
    return out;
  }

  /**
   * Verifies an enrolment presentation and relays `anon.trial.enrol`, signed by this node's
   * key as its attestation.
   * @throws LedgerError as {@link read}; LedgerError with the contract's code (ALREADY_ENROLLED...)
   */
  async enrol(p: { challengeId: unknown; presentation: unknown; waitMs?: number }): Promise<{
    txId: string;
    receipt?: Receipt;
  }> {
    const { c, p: pres } = await this.#verify(p.challengeId, p.presentation, 'trial');
    return this.#o.relay.submit(
      'anon.trial.enrol',
      {
        trialId: c.trialId!,
        issuer: c.issuer,
        request: presentationRequestToJson(c.request) as { [k: string]: JsonValue },
        presentation: presentationToJson(pres) as { [k: string]: JsonValue },
      },
      p.waitMs ?? 0,
    );
  }

  /**
   * Re-verifies, without memo, the proof of a committed enrolment or anonymous read log from the
   * block (anyone can: the request and the presentation are in the transaction). False if it
   * does not verify.
   */
  async auditEnrolment(txId: string): Promise<boolean> {
    const t = this.#o.node.getTxWithProof(txId);
    if (!t || (!isTxOf(t.tx.body, 'anon.trial.enrol') && !isTxOf(t.tx.body, 'anon.read.log')))
      throw new LedgerError({ code: 'NOT_FOUND' }, `${txId} is not an enrolment or an anonymous read log`);
    return (await presentationChecker(false).check(t.tx, this.#o.node.store)) === undefined;
  }
}

function isObject(v: JsonValue): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
