/**
 * The node side of record sharing (issue 3, survey §6): everything a node does off the
 * ledger for the records its organization holds, driven by the feed of committed blocks and
 * their events (`LedgerView.follow`, from the index's own height: a restart resumes there).
 *
 * - SPV upload: a responsible doctor of this organization uploads a FHIR record and the salt
 *   of its commitment; the node validates it (records/fhir.ts), stores it in the EHR store
 *   (encrypted at rest) and the salt in the vault, both *pending*. When the doctor's
 *   `record.spv` commits with the same commitment, category, resource type and subject, the
 *   upload is confirmed; a mismatch erases it. An upload whose transaction has not committed
 *   within `pendingTtlMs` (default 15 min) is erased (crypto-shredded) — its id stays used,
 *   so a late `record.spv` for it commits a commitment this node cannot serve (NOT_FOUND).
 * - SPV serving, STT release keys: serve.ts.
 * - DSS reads through the API, logged in batched node-signed `access.log` transactions: the
 *   record route (`readDss`) and the raw ledger routes (`auditRead`, the server's `readAudit`
 *   hook: every DSS record in a block or transaction served to a member; ledgerReadAudit.ts).
 * - Erasure executor: a committed `record.erase` of a record held here erases the EHR record
 *   and its salt (SPV) or the release key (STT), and logs it (`access.log`, channel
 *   'erasure'). A start-up pass repeats any erasure a crash interrupted.
 * - Indexes (recordIndex.ts): records by patient and by episode pseudonym, the patient's log.
 *
 * Threat model: the node is trusted with the records it holds (it has the EHR master key);
 * requesters do not trust it for integrity (they check the commitment). Messages and logs
 * carry codes and ids, never record contents, salts, keys or patient identities.
 */
import type { JsonValue } from '@medledger/crypto';
import {
  LedgerError,
  DSS_ERASURE_REFUSAL,
  PURPOSES,
  decideRecordRead,
  getGrants,
  getRecord,
  type AccessLogEntry,
  type Grant,
  type MemberEntry,
  type Purpose,
  type SignedTx,
} from '@medledger/core';
import { ID, str } from '@medledger/core/validate';
import type { EhrStore } from '../ehr/types.js';
import type { Receipt } from '@medledger/client';
import type { FeedBlock, Follower, LedgerView } from '../ledgerView.js';
import type { PatientDataRead } from './stateReads.js';
import { AccessLogBatcher } from './accessLogBatcher.js';
import { act, actionsOf, sweepPending, type ActionContext, type IndexAction } from './blockActions.js';
import { deidentifyResource } from './deidentify.js';
import { ledgerReadEntries, type ServedTxs } from './ledgerReadAudit.js';
import { accessLogReadLog } from './readLog.js';
import { RecordIndex, type IndexedRecord, type PatientLogEntry } from './recordIndex.js';
import {
  serveRelease,
  serveSpv,
  serveSpvMany,
  type ServeContext,
  type ServedSpvBatch,
  type ServedReleaseKey,
  type ServedSpvRecord,
} from './serve.js';
import {
  putReleaseKey,
  putStudyKey,
  uploadSpv,
  type SpvUploadResult,
  type UploadContext,
} from './uploads.js';
import type { ReleaseKeyVault } from './vault.js';

export type { SpvUploadResult } from './uploads.js';

/** Options of {@link RecordServices}. */
export interface RecordServicesOptions {
  node: LedgerView;
  org: string;
  /** PKCS#8 of the key of `node:<org>` (signs `access.log`). */
  nodeKey: Uint8Array;
  ehr: EhrStore;
  vault: ReleaseKeyVault;
  /** SQLite file of the indexes (default ':memory:', rebuilt from the ledger at start). */
  indexPath?: string;
  now?: () => number;
  /**
   * SQLite file of the access-log outbox (default in memory): a served read's log entry is on
   * disk there before the read is answered, and reaches the ledger after a crash.
   */
  outboxPath?: string;
  /** Access-log batching (defaults 50 ms, 500 entries). */
  logFlushMs?: number;
  logMaxEntries?: number;
  pendingTtlMs?: number;
  decisionTtlMs?: number;
  /** Operational messages (codes and ids only). */
  log?: (message: string) => void;
  /** How long {@link RecordServices.sync} waits for a failing index before answering (10 s). */
  syncWaitMs?: number;
  /**
   * How long serving waits for an `access.request` this node has not applied yet (5 s): one
   * committed through another organization's node reaches this one a moment later.
   */
  requestWaitMs?: number;
}

/** Response of {@link RecordServices.readDss}. */
export interface DssReadResult {
  recordId: string;
  txId: string;
  resource: { [k: string]: JsonValue };
  deidentified: boolean;
  removed: string[];
}

const M = 'MALFORMED_REQUEST';

/**
 * Record sharing on one node. Call {@link start} once, {@link close} at shutdown (it does not
 * close the EHR store or the vault, which the caller opened).
 * @example
 * const services = new RecordServices({ node, org: 'hospitalA', nodeKey, ehr, vault });
 * await services.start();
 * buildServer(node, { plugins: [recordRoutes(services, new RequestAuthenticator(node))] });
 */
export class RecordServices {
  readonly node: LedgerView;
  readonly org: string;
  readonly ehr: EhrStore;
  readonly vault: ReleaseKeyVault;
  readonly index: RecordIndex;
  readonly accessLog: AccessLogBatcher;
  readonly #now: () => number;
  readonly #serve: ServeContext;
  readonly #ctx: ActionContext & UploadContext;
  readonly #log: (m: string) => void;
  readonly #syncWaitMs: number;
  readonly #requestWaitMs: number;
  readonly #readLog: (reader: MemberEntry, reads: readonly PatientDataRead[]) => Promise<void>;
  #follower: Follower | undefined;
  #retry: IndexAction[] = [];

  constructor(o: RecordServicesOptions) {
    this.node = o.node;
    this.org = o.org;
    this.ehr = o.ehr;
    this.vault = o.vault;
    this.#now = o.now ?? Date.now;
    this.#log = o.log ?? (() => undefined);
    this.#syncWaitMs = o.syncWaitMs ?? 10_000;
    this.#requestWaitMs = o.requestWaitMs ?? 5_000;
    this.index = RecordIndex.open(o.indexPath ?? ':memory:');
    this.accessLog = new AccessLogBatcher({
      node: o.node,
      nodeKey: o.nodeKey,
      now: this.#now,
      onError: (code) => this.#log(`access.log batch rejected: ${code}`),
      ...(o.outboxPath === undefined ? {} : { outboxPath: o.outboxPath }),
      ...(o.logFlushMs === undefined ? {} : { flushMs: o.logFlushMs }),
      ...(o.logMaxEntries === undefined ? {} : { maxEntries: o.logMaxEntries }),
    });
    this.#readLog = accessLogReadLog(this.accessLog, o.node.store, this.#now);
    this.#serve = {
      node: o.node,
      org: o.org,
      ehr: o.ehr,
      vault: o.vault,
      now: this.#now,
      decisionTtlMs: o.decisionTtlMs ?? 5 * 60_000,
      log: (e) => this.accessLog.addGrouped(e),
    };
    this.#ctx = {
      node: o.node,
      org: o.org,
      ehr: o.ehr,
      vault: o.vault,
      accessLog: this.accessLog,
      now: this.#now,
      log: this.#log,
      pendingTtlMs: o.pendingTtlMs ?? 15 * 60_000,
    };
  }

  /** Catches the indexes up with the ledger, repeats interrupted erasures, follows new blocks. */
  async start(): Promise<void> {
    await this.accessLog.start();
    this.#follower = this.node.follow(this.index.height(), (b) => this.#onBlock(b), {
      onError: (e, h) => this.#log(`record indexing failed at block ${h}: ${codeOf(e)}`),
    });
    await this.sync();
    for (const r of this.index.byHolderErased(this.org))
      await act(this.#ctx, {
        kind: 'erased',
        mode: r.mode,
        recordId: r.recordId,
        txId: '',
        holder: this.org,
        patient: '',
      });
  }

  /**
   * Resolves once every durable block has been acted on and indexed — or after `syncWaitMs`
   * (10 s) if indexing keeps failing (it is retried; the failure is logged), so that a request
   * is answered from a lagging index rather than hangs — and expired uploads are swept.
   */
  async sync(): Promise<void> {
    const synced = this.#follower?.synced();
    if (!synced) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#syncWaitMs);
      timer.unref();
    });
    try {
      await Promise.race([synced, late]);
    } finally {
      clearTimeout(timer);
    }
    await sweepPending(this.#ctx);
  }

  /**
   * One block from the feed: act first (confirm uploads, execute erasures), then index it with
   * its height in one transaction. A crash in between repeats the actions, which are
   * idempotent; a failed action is retried with the next block.
   */
  async #onBlock(b: FeedBlock): Promise<void> {
    const todo = [...this.#retry.splice(0), ...actionsOf(b.events, this.node.store)];
    for (const a of todo) await act(this.#ctx, a).catch((e: unknown) => this.#failed(a, e));
    this.index.indexBlock(b.height, b.block.header.time, b.events, this.node.store);
    await sweepPending(this.#ctx);
  }

  /**
   * Waits (at most `requestWaitMs`) for a transaction to be applied here. The requester's
   * receipt came from the node it submitted through; this holder's node may be a block behind.
   */
  async #applied(txId: string): Promise<void> {
    if (this.node.receipt(txId) === undefined) await this.node.waitForReceipt(txId, this.#requestWaitMs);
  }

  #failed(a: IndexAction, e: unknown): void {
    this.#log(`record action ${a.kind} failed for ${a.recordId}: ${codeOf(e)}`);
    if (this.#retry.length < 10_000) this.#retry.push(a);
  }

  /** See uploads.ts {@link uploadSpv}. */
  uploadSpv(member: MemberEntry, body: unknown): Promise<SpvUploadResult> {
    return uploadSpv(this.#ctx, member, body);
  }

  /** See uploads.ts {@link putReleaseKey}. */
  putReleaseKey(
    member: MemberEntry,
    recordId: string,
    body: unknown,
  ): { recordId: string; pendingUntil: number } {
    return putReleaseKey(this.#ctx, member, recordId, body);
  }

  /** See uploads.ts {@link putStudyKey}. */
  putStudyKey(member: MemberEntry, grantId: string, body: unknown): { grantId: string } {
    return putStudyKey(this.#ctx, member, grantId, body);
  }

  /** See serve.ts {@link serveSpv}. */
  async serveSpv(member: MemberEntry, requestTxId: string): Promise<ServedSpvRecord> {
    await this.#applied(requestTxId);
    await this.sync();
    return serveSpv(this.#serve, member, requestTxId);
  }

  /**
   * Serves the SPV records of many `access.request`s of one requester in one call (see
   * serve.ts {@link serveSpvMany}): each request decided and logged on its own.
   * @throws LedgerError MALFORMED_REQUEST if a transaction id is listed twice
   */
  async serveSpvMany(member: MemberEntry, requestTxIds: readonly string[]): Promise<ServedSpvBatch> {
    if (new Set(requestTxIds).size !== requestTxIds.length)
      throw new LedgerError({ code: 'MALFORMED_REQUEST' }, 'a request transaction is listed twice');
    await Promise.all(requestTxIds.map((t) => this.#applied(t)));
    await this.sync();
    return serveSpvMany(this.#serve, member, requestTxIds);
  }

  /** See serve.ts {@link serveRelease}. */
  async serveRelease(member: MemberEntry, requestTxId: string): Promise<ServedReleaseKey> {
    await this.#applied(requestTxId);
    await this.sync();
    return serveRelease(this.#serve, member, requestTxId);
  }

  // ---- DSS ----------------------------------------------------------------------------------

  /**
   * A DSS record read through the API, logged on the ledger (batched `access.log`). The view
   * is core/access/decideRecordRead's: a secondary use (a researcher, or purpose 'research')
   * without a research grant with linkage gets it de-identified (deidentify.ts) — note that
   * the plaintext is on the ledger anyway.
   * @throws LedgerError MALFORMED_REQUEST (purpose), NOT_FOUND, WRONG_MODE
   */
  readDss(member: MemberEntry, recordId: string, purpose: string): DssReadResult {
    if (!(PURPOSES as readonly string[]).includes(purpose))
      throw new LedgerError({ code: M }, `purpose must be one of ${PURPOSES.join(', ')}`);
    const state = this.node.store;
    const r = getRecord(state, recordId);
    if (!r) throw new LedgerError({ code: 'NOT_FOUND' }, 'unknown record');
    if (r.mode !== 'dss')
      throw new LedgerError({ code: 'WRONG_MODE' }, `the record is ${r.mode.toUpperCase()}, not DSS`);
    const t = this.node.getTxWithProof(r.txId);
    if (!t) throw new LedgerError({ code: 'NOT_FOUND' }, 'the record transaction is not in this ledger');
    let resource = (t.tx.body.payload as { resource: { [k: string]: JsonValue } }).resource;
    let removed: string[] = [];
    let deidentified = false;
    const d = decideRecordRead({
      record: r,
      requester: { memberId: member.id, org: member.org, role: member.role },
      identity: 'named',
      purpose: purpose as Purpose,
      grants: getGrants(state, r.patientId),
      transmissions: [],
      attributes: [],
      at: this.#now(),
      height: this.node.head().height,
    });
    if (!d.allow) throw new LedgerError({ code: 'ACCESS_DENIED' }, d.message);
    if (d.view === 'deidentified') {
      ({ resource, removed } = deidentifyResource(resource));
      deidentified = true;
    }
    this.accessLog.add({
      recordId,
      requester: member.id,
      purpose: purpose as Purpose,
      channel: 'dss',
      outcome: 'allowed',
      at: this.#now(),
    } satisfies AccessLogEntry);
    return { recordId, txId: r.txId, resource, deidentified, removed };
  }

  /**
   * The server's `readAudit` hook (api/server.ts): queues one `access.log` entry (channel
   * 'ledger', purpose 'unspecified') for each DSS record in a block or transaction served
   * to `reader` through `GET /v1/blocks/:height` or `GET /v1/txs/:id`. The record routes
   * plugin registers it (routes/records.ts), so a server with them logs such reads.
   */
  auditRead(reader: MemberEntry, served: ServedTxs): void {
    const { entries, unlogged } = ledgerReadEntries(this.node.store, reader, served, this.#now());
    for (const e of entries) this.accessLog.add(e);
    for (const txId of unlogged) this.#log(`served invalid record.dss ${txId}: no record to log it under`);
  }

  /**
   * The server's `readLog` hook (api/server.ts; readLog.ts): logs each read of patient data
   * served outside the record routes — state values, the episode index, the confidentiality
   * routes — on the durable access log; resolves once the entries are on disk (group commit).
   */
  logReads(reader: MemberEntry, reads: readonly PatientDataRead[]): Promise<void> {
    return this.#readLog(reader, reads);
  }

  // ---- erasure ------------------------------------------------------------------------------

  /**
   * Submits the patient's signed `record.erase` transaction — or, for a DSS record, refuses
   * without submitting anything, with the contract's explanation.
   * @throws LedgerError ERASURE_NOT_POSSIBLE (DSS), FORBIDDEN, NOT_FOUND, MALFORMED_REQUEST
   */
  async erase(
    member: MemberEntry,
    recordId: string,
    tx: unknown,
    waitMs: number,
  ): Promise<{ txId: string; receipt?: Receipt }> {
    const r = getRecord(this.node.store, recordId);
    if (!r) throw new LedgerError({ code: 'NOT_FOUND' }, 'unknown record');
    if (r.patientId !== member.id)
      throw new LedgerError({ code: 'FORBIDDEN' }, 'the patient requests erasure of their records');
    if (r.mode === 'dss') throw new LedgerError({ code: 'ERASURE_NOT_POSSIBLE' }, DSS_ERASURE_REFUSAL);
    const t = tx as SignedTx;
    const p = (t as { body?: { type?: unknown; payload?: { recordId?: unknown } } })?.body;
    if (p?.type !== 'record.erase' || p.payload?.recordId !== recordId)
      throw new LedgerError({ code: M }, 'body.tx must be a record.erase transaction for this record');
    const s = await this.node.submit(t);
    const receipt = s.status === 'committed' ? s.receipt : await this.node.waitForReceipt(s.txId, waitMs);
    if (receipt) await this.sync();
    return receipt ? { txId: s.txId, receipt } : { txId: s.txId };
  }

  // ---- indexes ------------------------------------------------------------------------------

  /** The patient's access log; only the patient may read it. */
  async patientLog(member: MemberEntry, patientId: string, after = 0): Promise<PatientLogEntry[]> {
    if (member.id !== patientId)
      throw new LedgerError({ code: 'FORBIDDEN' }, 'only the patient reads their access log');
    await this.sync();
    return this.index.accessLog(patientId, after);
  }

  /** The patient's records; only the patient may list them. */
  async patientRecords(member: MemberEntry, patientId: string): Promise<IndexedRecord[]> {
    if (member.id !== patientId)
      throw new LedgerError({ code: 'FORBIDDEN' }, 'only the patient lists their records');
    await this.sync();
    return this.index.byPatient(patientId);
  }

  /**
   * The patient's consent grants, oldest first (revoked ones too); only the patient may list
   * them. Read from the world state: the patient's grant list (`grants:<p>`, one key per grant)
   * and one key per grant, so the cost is the patient's number of grants, not the ledger's size.
   */
  patientConsents(member: MemberEntry, patientId: string): Grant[] {
    if (member.id !== patientId)
      throw new LedgerError({ code: 'FORBIDDEN' }, 'only the patient lists their consents');
    return getGrants(this.node.store, patientId);
  }

  /**
   * Records of one episode pseudonym (what a holder of the episode key can link), for an
   * authenticated member; each record listed is logged as read by `member` (channel 'index').
   */
  async recordsBySubject(member: MemberEntry, subject: string): Promise<IndexedRecord[]> {
    str(subject, 'subject', M, 128, ID);
    await this.sync();
    const records = this.index.bySubject(subject);
    await this.logReads(
      member,
      records.map((r) => ({ recordId: r.recordId, channel: 'index' })),
    );
    return records;
  }

  /** Stops following blocks and flushes the access log (the EHR store and vault stay open). */
  async close(): Promise<void> {
    await this.#follower?.close();
    await this.accessLog.close();
    this.index.close();
  }
}

function codeOf(e: unknown): string {
  return (e as { code?: string }).code ?? (e instanceof Error ? e.name : 'INTERNAL');
}
