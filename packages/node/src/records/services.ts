/**
 * The node side of record sharing (issue 3, survey §6): everything a node does off the
 * ledger for the records its organization holds, driven by the blocks it commits.
 *
 * - SPV upload: a responsible doctor of this organization uploads a FHIR record and the salt
 *   of its commitment; the node validates it (records/fhir.ts), stores it in the EHR store
 *   (encrypted at rest) and the salt in the vault, both *pending*. When the doctor's
 *   `record.spv` commits with the same commitment, category, resource type and subject, the
 *   upload is confirmed; a mismatch erases it. An upload whose transaction has not committed
 *   within `pendingTtlMs` (default 15 min) is erased (crypto-shredded) — its id stays used,
 *   so a late `record.spv` for it commits a commitment this node cannot serve (NOT_FOUND).
 * - SPV serving, STT release keys: serve.ts.
 * - DSS reads through the API, logged in batched node-signed `access.log` transactions.
 * - Erasure executor: a committed `record.erase` of a record held here erases the EHR record
 *   and its salt (SPV) or the release key (STT), and logs it (`access.log`, channel
 *   'erasure'). A start-up pass repeats any erasure a crash interrupted.
 * - Indexes (recordIndex.ts): records by patient and by episode pseudonym, the patient's log.
 *
 * Threat model: the node is trusted with the records it holds (it has the EHR master key);
 * requesters do not trust it for integrity (they check the commitment). Messages and logs
 * carry codes and ids, never record contents, salts, keys or patient identities.
 */
import { canonicalBytes, commit, fromB64u, toHex, type JsonValue } from '@medledger/crypto';
import {
  DSS_ERASURE_REFUSAL,
  PURPOSES,
  decideRead,
  getCareTeam,
  getGrant,
  getGrants,
  getMember,
  getRecord,
  txIdOf,
  type AccessLogEntry,
  type MemberEntry,
  type Purpose,
  type SignedTx,
} from '@medledger/core';
import { B64U, HEX32, ID, obj, onlyKeys, str } from '@medledger/core/validate';
import { isEhrError, type EhrStore } from '../ehr/types.js';
import { HttpError } from '../api/errors.js';
import type { MedledgerNode, Receipt } from '../node.js';
import { validateFhirRecord } from './fhir.js';
import { AccessLogBatcher } from './accessLogBatcher.js';
import { deidentifyResource } from './deidentify.js';
import { RecordIndex, type IndexAction, type IndexedRecord, type PatientLogEntry } from './recordIndex.js';
import {
  serveRelease,
  serveSpv,
  type ServeContext,
  type ServedReleaseKey,
  type ServedSpvRecord,
} from './serve.js';
import type { ReleaseKeyVault } from './vault.js';

/** Options of {@link RecordServices}. */
export interface RecordServicesOptions {
  node: MedledgerNode;
  org: string;
  /** PKCS#8 of the key of `node:<org>` (signs `access.log`). */
  nodeKey: Uint8Array;
  ehr: EhrStore;
  vault: ReleaseKeyVault;
  /** SQLite file of the indexes (default ':memory:', rebuilt from the ledger at start). */
  indexPath?: string;
  now?: () => number;
  /** Access-log batching (defaults 50 ms, 500 entries). */
  logFlushMs?: number;
  logMaxEntries?: number;
  pendingTtlMs?: number;
  decisionTtlMs?: number;
  /** Operational messages (codes and ids only). */
  log?: (message: string) => void;
}

/** Response of {@link RecordServices.uploadSpv}. */
export interface SpvUploadResult {
  recordId: string;
  /** The commitment the `record.spv` transaction must carry, hex. */
  commitment: string;
  subject: string;
  category: string;
  resourceType: string;
  /** The upload is erased if no matching `record.spv` commits before this time (ms). */
  pendingUntil: number;
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
  readonly node: MedledgerNode;
  readonly org: string;
  readonly ehr: EhrStore;
  readonly vault: ReleaseKeyVault;
  readonly index: RecordIndex;
  readonly accessLog: AccessLogBatcher;
  readonly #now: () => number;
  readonly #pendingTtlMs: number;
  readonly #serve: ServeContext;
  readonly #log: (m: string) => void;
  readonly #onBlock = (b: { height: number }): void => void this.#processUpTo(b.height);
  #chain: Promise<void> = Promise.resolve();
  #retry: IndexAction[] = [];

  constructor(o: RecordServicesOptions) {
    this.node = o.node;
    this.org = o.org;
    this.ehr = o.ehr;
    this.vault = o.vault;
    this.#now = o.now ?? Date.now;
    this.#pendingTtlMs = o.pendingTtlMs ?? 15 * 60_000;
    this.#log = o.log ?? (() => undefined);
    this.index = RecordIndex.open(o.indexPath ?? ':memory:');
    this.accessLog = new AccessLogBatcher({
      node: o.node,
      nodeKey: o.nodeKey,
      now: this.#now,
      onError: (code) => this.#log(`access.log batch rejected: ${code}`),
      ...(o.logFlushMs === undefined ? {} : { flushMs: o.logFlushMs }),
      ...(o.logMaxEntries === undefined ? {} : { maxEntries: o.logMaxEntries }),
    });
    this.#serve = {
      node: o.node,
      org: o.org,
      ehr: o.ehr,
      vault: o.vault,
      now: this.#now,
      decisionTtlMs: o.decisionTtlMs ?? 5 * 60_000,
      log: (e) => this.accessLog.add(e),
    };
  }

  /** Catches the indexes up with the ledger, repeats interrupted erasures, follows new blocks. */
  async start(): Promise<void> {
    this.node.on('block', this.#onBlock);
    await this.sync();
    for (const r of this.index.byHolderErased(this.org))
      await this.#act({
        kind: 'erased',
        mode: r.mode,
        recordId: r.recordId,
        txId: '',
        holder: this.org,
        patient: '',
      });
  }

  /** Resolves once every committed block has been indexed and acted on. */
  sync(): Promise<void> {
    return this.#processUpTo(this.node.head().height);
  }

  #processUpTo(height: number): Promise<void> {
    const run = this.#chain.then(async () => {
      for (let h = this.index.height() + 1; h <= height; h++) {
        const b = this.node.getBlock(h);
        if (!b) break;
        const actions = this.index.indexBlock(
          h,
          b.block.txs,
          b.codes,
          b.block.header.time,
          this.node.store,
          (t) => txIdOf(t.body),
        );
        const todo = [...this.#retry.splice(0), ...actions];
        for (const a of todo) await this.#act(a).catch((e: unknown) => this.#failed(a, e));
      }
      await this.#sweep();
    });
    this.#chain = run.catch((e: unknown) => this.#log(`record indexing failed: ${codeOf(e)}`));
    return this.#chain;
  }

  #failed(a: IndexAction, e: unknown): void {
    this.#log(`record action ${a.kind} failed for ${a.recordId}: ${codeOf(e)}`);
    if (this.#retry.length < 10_000) this.#retry.push(a);
  }

  async #act(a: IndexAction): Promise<void> {
    if (a.kind === 'written') return this.#confirm(a);
    if (a.holder !== this.org) return;
    const now = this.#now();
    let erased = this.vault.erase(a.recordId, now).length > 0;
    if (a.mode === 'spv') {
      try {
        erased = (await this.ehr.erase(a.recordId)).erased || erased;
      } catch (e) {
        if (!isEhrError(e, 'NOT_FOUND')) throw e;
      }
    }
    if (erased && a.patient !== '')
      this.accessLog.add({
        recordId: a.recordId,
        requester: a.patient,
        purpose: 'erasure',
        channel: 'erasure',
        outcome: 'allowed',
        code: 'ERASED',
        at: now,
      });
  }

  async #confirm(a: Extract<IndexAction, { kind: 'written' }>): Promise<void> {
    if (a.holder !== this.org) return;
    const r = getRecord(this.node.store, a.recordId);
    if (!r || r.txId !== a.txId) return;
    const now = this.#now();
    if (a.mode === 'stt') {
      const k = this.vault.get(a.recordId, 'release');
      if (k && k.owner === a.sender) this.vault.confirm(a.recordId, 'release', now);
      else this.#log(`no release key uploaded by the sender of STT record ${a.recordId}`);
      return;
    }
    if (a.mode !== 'spv') return;
    const salt = this.vault.get(a.recordId, 'salt');
    const stored = salt && (await this.ehr.get(a.recordId));
    if (!salt || !stored) return this.#log(`SPV record ${a.recordId} committed but not uploaded here`);
    const ok =
      toHex(commit(stored.body, () => salt.secret).commitment) === r.commitment &&
      stored.category === r.category &&
      stored.resourceType === r.resourceType &&
      stored.patientRef === r.subject &&
      salt.owner === a.sender;
    if (ok) {
      this.vault.confirm(a.recordId, 'salt', now);
      return;
    }
    this.#log(`SPV record ${a.recordId}: the committed meta differs from the upload; upload erased`);
    this.vault.erase(a.recordId, now);
    await this.ehr.erase(a.recordId);
  }

  async #sweep(): Promise<void> {
    for (const p of this.vault.pendingBefore(this.#now() - this.#pendingTtlMs)) {
      const r = getRecord(this.node.store, p.id);
      if (r && r.holder === this.org) continue; // committed: confirmation is under way
      this.vault.erase(p.id, this.#now(), p.kind);
      if (p.kind === 'salt') await this.ehr.erase(p.id).catch(() => undefined);
      this.#log(`pending ${p.kind} for ${p.id} expired and was erased`);
    }
  }

  // ---- SPV upload -------------------------------------------------------------------------

  /**
   * Stores an SPV record uploaded by `member` (pending until its `record.spv` commits).
   * @param body `{ recordId, patient, resource, salt }`: patient = the patient's member id
   *   (checks the care team), salt = base64url of the 32-byte commitment salt
   * @throws HttpError MALFORMED_REQUEST, FORBIDDEN (not a doctor of this org), UNKNOWN_PATIENT,
   *   NOT_RESPONSIBLE, RECORD_EXISTS, INVALID_RECORD (FHIR issues: paths only); EhrError
   *   DUPLICATE_RECORD / ERASED
   */
  async uploadSpv(member: MemberEntry, body: unknown): Promise<SpvUploadResult> {
    const b = obj(body, 'body', M);
    onlyKeys(b, ['recordId', 'patient', 'resource', 'salt'], 'body', M);
    const recordId = str(b.recordId, 'body.recordId', M, 128, ID);
    const patient = str(b.patient, 'body.patient', M, 64, HEX32);
    const salt = fromB64u(str(b.salt, 'body.salt', M, 43, B64U));
    if (salt.length !== 32) throw new HttpError(M, 'body.salt must be 32 bytes');
    if (member.org !== this.org || member.role !== 'doctor')
      throw new HttpError('FORBIDDEN', `SPV records are uploaded by doctors of ${this.org} to its node`);
    const p = getMember(this.node.store, patient);
    if (!p || p.role !== 'patient')
      throw new HttpError('UNKNOWN_PATIENT', 'body.patient is not an enrolled patient');
    if (!getCareTeam(this.node.store, patient).includes(member.id))
      throw new HttpError('NOT_RESPONSIBLE', "the uploader is not in the patient's care team");
    if (getRecord(this.node.store, recordId))
      throw new HttpError('RECORD_EXISTS', 'the record id is already on the ledger');
    const v = validateFhirRecord(b.resource);
    if (!v.ok)
      throw new HttpError(
        'INVALID_RECORD',
        `FHIR validation failed: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
    const bytes = canonicalBytes(b.resource as JsonValue);
    const now = this.#now();
    this.vault.put(recordId, 'salt', salt, member.id, now);
    try {
      await this.ehr.put({
        recordId,
        patientRef: v.meta.patientRef,
        resourceType: v.meta.resourceType,
        category: v.meta.category,
        body: bytes,
        createdAt: now,
      });
    } catch (e) {
      this.vault.erase(recordId, now);
      throw e;
    }
    return {
      recordId,
      commitment: toHex(commit(bytes, () => salt).commitment),
      subject: v.meta.patientRef,
      category: v.meta.category,
      resourceType: v.meta.resourceType,
      pendingUntil: now + this.#pendingTtlMs,
    };
  }

  // ---- STT release keys ---------------------------------------------------------------------

  /**
   * Keeps the release key of an STT record `member` is about to send (pending until the
   * first transmission, signed by `member`, commits).
   * @throws HttpError FORBIDDEN (not of this org), RECORD_EXISTS, MALFORMED_REQUEST
   */
  putReleaseKey(
    member: MemberEntry,
    recordId: string,
    body: unknown,
  ): { recordId: string; pendingUntil: number } {
    str(recordId, 'recordId', M, 128, ID);
    const b = obj(body, 'body', M);
    onlyKeys(b, ['key'], 'body', M);
    const key = fromB64u(str(b.key, 'body.key', M, 43, B64U));
    if (key.length !== 32) throw new HttpError(M, 'body.key must be 32 bytes');
    if (member.org !== this.org)
      throw new HttpError('FORBIDDEN', `release keys are kept by the sender's own node (${member.org})`);
    if (getRecord(this.node.store, recordId))
      throw new HttpError('RECORD_EXISTS', 'the record id is already on the ledger');
    const now = this.#now();
    this.vault.put(recordId, 'release', key, member.id, now);
    return { recordId, pendingUntil: now + this.#pendingTtlMs };
  }

  /** See serve.ts {@link serveSpv}. */
  async serveSpv(member: MemberEntry, requestTxId: string): Promise<ServedSpvRecord> {
    await this.sync();
    return serveSpv(this.#serve, member, requestTxId);
  }

  /** See serve.ts {@link serveRelease}. */
  async serveRelease(member: MemberEntry, requestTxId: string): Promise<ServedReleaseKey> {
    await this.sync();
    return serveRelease(this.#serve, member, requestTxId);
  }

  /**
   * Keeps a research study key the patient releases for one of their grants with linkage;
   * SPV records served under that grant carry `linkagePseudonym(studyKey, patient)`.
   * @throws HttpError NOT_FOUND, FORBIDDEN (not the grant's patient), CONFLICT (no linkage)
   */
  putStudyKey(member: MemberEntry, grantId: string, body: unknown): { grantId: string } {
    const g = getGrant(this.node.store, str(grantId, 'grantId', M, 128, ID));
    if (!g) throw new HttpError('NOT_FOUND', 'unknown grant');
    if (g.patientId !== member.id)
      throw new HttpError('FORBIDDEN', 'only the patient who granted it releases a study key');
    if (g.linkage !== true) throw new HttpError('CONFLICT', 'the grant does not allow research linkage');
    const b = obj(body, 'body', M);
    onlyKeys(b, ['studyKey'], 'body', M);
    const key = fromB64u(str(b.studyKey, 'body.studyKey', M, 43, B64U));
    if (key.length !== 32) throw new HttpError(M, 'body.studyKey must be 32 bytes');
    this.vault.put(`grant:${grantId}`, 'study', key, member.id, this.#now());
    this.vault.confirm(`grant:${grantId}`, 'study', this.#now());
    return { grantId };
  }

  // ---- DSS ----------------------------------------------------------------------------------

  /**
   * A DSS record read through the API, logged on the ledger (batched `access.log`). A
   * researcher (or purpose 'research') without a research grant with linkage gets it
   * de-identified (deidentify.ts) — note that the plaintext is on the ledger anyway.
   * @throws HttpError MALFORMED_REQUEST (purpose), NOT_FOUND, WRONG_MODE
   */
  readDss(member: MemberEntry, recordId: string, purpose: string): DssReadResult {
    if (!(PURPOSES as readonly string[]).includes(purpose))
      throw new HttpError(M, `purpose must be one of ${PURPOSES.join(', ')}`);
    const state = this.node.store;
    const r = getRecord(state, recordId);
    if (!r) throw new HttpError('NOT_FOUND', 'unknown record');
    if (r.mode !== 'dss') throw new HttpError('WRONG_MODE', `the record is ${r.mode.toUpperCase()}, not DSS`);
    const t = this.node.getTxWithProof(r.txId);
    if (!t) throw new HttpError('NOT_FOUND', 'the record transaction is not in this ledger');
    let resource = (t.tx.body.payload as { resource: { [k: string]: JsonValue } }).resource;
    let removed: string[] = [];
    let deidentified = false;
    if (member.role === 'researcher' || purpose === 'research') {
      const d = decideRead(getGrants(state, r.patientId), {
        requester: { memberId: member.id, org: member.org, role: member.role },
        record: r,
        purpose: 'research',
        at: this.#now(),
        height: this.node.head().height,
      });
      if (!(d.allow && d.linkage)) {
        ({ resource, removed } = deidentifyResource(resource));
        deidentified = true;
      }
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

  // ---- erasure ------------------------------------------------------------------------------

  /**
   * Submits the patient's signed `record.erase` transaction — or, for a DSS record, refuses
   * without submitting anything, with the contract's explanation.
   * @throws HttpError ERASURE_NOT_POSSIBLE (DSS), FORBIDDEN, NOT_FOUND, MALFORMED_REQUEST
   */
  async erase(
    member: MemberEntry,
    recordId: string,
    tx: unknown,
    waitMs: number,
  ): Promise<{ txId: string; receipt?: Receipt }> {
    const r = getRecord(this.node.store, recordId);
    if (!r) throw new HttpError('NOT_FOUND', 'unknown record');
    if (r.patientId !== member.id)
      throw new HttpError('FORBIDDEN', 'the patient requests erasure of their records');
    if (r.mode === 'dss') throw new HttpError('ERASURE_NOT_POSSIBLE', DSS_ERASURE_REFUSAL);
    const t = tx as SignedTx;
    const p = (t as { body?: { type?: unknown; payload?: { recordId?: unknown } } })?.body;
    if (p?.type !== 'record.erase' || p.payload?.recordId !== recordId)
      throw new HttpError(M, 'body.tx must be a record.erase transaction for this record');
    const s = await this.node.submit(t);
    const receipt = s.status === 'committed' ? s.receipt : await this.node.waitForReceipt(s.txId, waitMs);
    if (receipt) await this.sync();
    return receipt ? { txId: s.txId, receipt } : { txId: s.txId };
  }

  // ---- indexes ------------------------------------------------------------------------------

  /** The patient's access log; only the patient may read it. */
  async patientLog(member: MemberEntry, patientId: string, after = 0): Promise<PatientLogEntry[]> {
    if (member.id !== patientId) throw new HttpError('FORBIDDEN', 'only the patient reads their access log');
    await this.sync();
    return this.index.accessLog(patientId, after);
  }

  /** The patient's records; only the patient may list them. */
  async patientRecords(member: MemberEntry, patientId: string): Promise<IndexedRecord[]> {
    if (member.id !== patientId) throw new HttpError('FORBIDDEN', 'only the patient lists their records');
    await this.sync();
    return this.index.byPatient(patientId);
  }

  /** Records of one episode pseudonym (what a holder of the episode key can link). */
  async recordsBySubject(subject: string): Promise<IndexedRecord[]> {
    str(subject, 'subject', M, 128, ID);
    await this.sync();
    return this.index.bySubject(subject);
  }

  /** Stops following blocks and flushes the access log (the EHR store and vault stay open). */
  async close(): Promise<void> {
    this.node.off('block', this.#onBlock);
    await this.#chain;
    await this.accessLog.close();
    this.index.close();
  }
}

function codeOf(e: unknown): string {
  return (e as { code?: string }).code ?? (e instanceof Error ? e.name : 'INTERNAL');
}
