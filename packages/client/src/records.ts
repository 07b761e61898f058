/**
 * Record-sharing SDK (issue 3): what a doctor's, patient's, insurer's or researcher's program
 * calls. Every transaction is built and signed here (the node never sees a private key);
 * every read of a node's record routes is a signed request (auth.ts).
 *
 * - DSS (survey §6.1): {@link RecordsClient.writeDss}; k-of-n co-signing with
 *   {@link RecordsClient.prepareDss}, {@link RecordsClient.sign}, {@link RecordsClient.submitCosigned}.
 * - SPV (§6.3): {@link RecordsClient.writeSpv} (upload + commitment); {@link RecordsClient.readSpv}
 *   requests access on the ledger, fetches the sealed record from the holder's node and checks
 *   it against the commitment read from a light-client-checked transaction.
 * - STT (§6.2): {@link RecordsClient.sendStt}, {@link RecordsClient.reshareStt}, {@link RecordsClient.openStt}.
 * - Consent, erasure, the access log and episode lookups.
 *
 * Threat model: the holder's node is not trusted for integrity — an SPV record is accepted
 * only if it opens the commitment in a transaction whose block is signed by a genesis node
 * key (`verifyTxWithProof`). The node this client talks to is trusted for availability and
 * for the state it reports (access decisions, member keys); a light client does not verify
 * world state (no state proofs yet).
 */
import type { P256PrivateKey } from '@medledger/crypto';
import { readStateList } from './stateList.js';
import {
  addReceivers,
  importP256PrivateKey,
  canonicalBytes,
  commit,
  envelopeFromJson,
  envelopeToJson,
  fromB64u,
  fromHex,
  openEnvelope,
  randomBytes,
  removeReceivers,
  sealEnvelope,
  toB64u,
  toHex,
  verifyCommitment,
  type EnvelopeJson,
  type JsonValue,
} from '@medledger/crypto';
import type {
  AccessDecisionEntry,
  Genesis,
  Grant,
  Grantee,
  Purpose,
  Scope,
  SignedTx,
  TxBody,
  TxType,
} from '@medledger/core';
import { API, pathOf } from './api/index.js';
import { ApiClient } from './api/call.js';
import { MedledgerClient, MedledgerHttpError, type Receipt, type TxWithProof } from './http.js';
import { checkTxWithProof } from './lightClient.js';
import {
  RELEASE_KEY_BYTES,
  decryptSttBody,
  encryptSttBody,
  releaseServeAad,
  spvBatchServeAad,
  spvServeAad,
  sttEnvelopeAad,
} from './recordCrypto.js';
import { Wallet, assembleTx } from './wallet.js';
import type { Signer } from './signer.js';
import { abeRecordTx, httpLedgerSource, openAbeLayer, type LedgerSource } from './confidentiality.js';
import type { AbeUserKey } from '@medledger/crypto/abe';
import { MedledgerError } from './errors.js';
import { isTxOf } from '@medledger/core';

type Obj = { [k: string]: JsonValue };

/** Checked record transactions a client keeps (see `RecordsClient.#checked`). */
const CHECKED_TX_CACHE = 1000;

/** A failed record operation: a rejected transaction, a denied access, a failed check. */
/** A DSS record as `GET /v1/dss/records/:recordId` serves it. */
export interface DssRead {
  recordId: string;
  txId: string;
  resource: Obj;
  deidentified: boolean;
  removed: string[];
}

export class RecordsError extends MedledgerError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'RecordsError';
  }
}

/** Parameters of {@link RecordsClient}. */
export interface RecordsClientParameters {
  /** This member's node. */
  baseUrl: string;
  /** Member id. */
  signerId: string;
  /**
   * The member's P-256 key, which signs transactions and requests: PKCS#8 DER, or a
   * {@link Signer} that holds it (a browser's non-extractable WebCrypto key).
   */
  privateKey: Uint8Array | Signer;
  /** Raw X25519 private key matching the member's registered encryption key (to open records). */
  encryptionKey?: Uint8Array;
  /**
   * Other organizations' nodes (org id → base URL), for SPV records and STT release keys they
   * hold. An organization not listed here is looked up in this member's node's status
   * (`nodes`, the peers it knows); failing that, requests go to `baseUrl`.
   */
  nodes?: Record<string, string>;
  /** How long to wait for a transaction to commit (default 10 s). */
  waitMs?: number;
  now?: () => number;
}

/** Meta of a record to write (the patient's member id, the episode subject, scope labels). */
export interface RecordMetaParameters {
  recordId: string;
  patient: string;
  category: string;
  /** Episode subject (defaults to the `Patient/<id>` of the resource). */
  subject?: string;
  replaces?: string;
}

/** What {@link RecordsClient.fetchSpv} returns. */
export interface FetchedSpvRecord {
  recordId: string;
  resource: Obj;
  /** True when the record opened the on-chain commitment (false if altered, or de-identified). */
  verified: boolean;
  deidentified: boolean;
  removed: string[];
  /** The commitment read from the light-client-checked record transaction. */
  commitment: string;
}

/** What a holder serves for an allowed SPV request (node records/serve.ts `ServedSpvRecord`). */
interface ServedSpv {
  recordId: string;
  recordTxId: string;
  deidentified: boolean;
  removed: string[];
  envelope: EnvelopeJson;
}

/** The plaintext of a served SPV record: the resource, and its salt unless de-identified. */
type ServedBody = { resource: Obj; salt?: string };

/** One answer of {@link RecordsClient.readSpvMany}: the record, or the code that refused it. */
export type SpvReadResult =
  { ok: true; record: FetchedSpvRecord } | { ok: false; recordId: string; code: string; message: string };

/** Most reads in one {@link RecordsClient.readSpvMany} (the node's `POST /v1/access/records` limit). */
export const MAX_BATCH_READS = 256;

/** The `nodes` field of a node's status (org id → http(s) base URL); anything else is dropped. */
function peerUrlsOf(nodes: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof nodes !== 'object' || nodes === null) return out;
  for (const [org, url] of Object.entries(nodes)) {
    if (typeof url !== 'string') continue;
    try {
      const u = new URL(url);
      if (u.protocol === 'http:' || u.protocol === 'https:') out[org] = url;
    } catch {
      /* not a URL: ignored */
    }
  }
  return out;
}

const subjectOf = (resource: Obj): string => {
  const ref = (resource.subject as { reference?: unknown } | undefined)?.reference;
  const m = typeof ref === 'string' ? /^Patient\/(.+)$/.exec(ref) : null;
  if (!m) throw new RecordsError('INVALID_RECORD', 'resource.subject must be a Patient/<subject> reference');
  return m[1]!;
};

/**
 * The record-sharing SDK for one member.
 * @example
 * const rc = new RecordsClient({ baseUrl, signerId: aliceId, privateKey: alicePkcs8, encryptionKey: aliceX25519 });
 * await rc.writeSpv({ recordId: 'lab-1', patient: bob, category: 'lab', resource });
 * const { resource, verified } = await bakerClient.readSpv('lab-1', 'treatment');
 */
export class RecordsClient {
  readonly http: MedledgerClient;
  readonly wallet: Wallet;
  readonly #p: RecordsClientParameters;
  readonly #key: P256PrivateKey | Signer;
  #chainId: string | undefined;
  #genesis: Genesis | undefined;
  #org: string | undefined;
  #peers: Promise<Record<string, string>> | undefined;
  /**
   * Record transactions already checked as a light client (final under a quorum checkpoint):
   * a committed transaction never changes, so it is checked once. Bounded; oldest dropped.
   */
  readonly #checked = new Map<string, Promise<TxWithProof>>();
  /** The holder of each SPV record read so far, from its checked record transaction. */
  readonly #holders = new Map<string, string>();

  constructor(p: RecordsClientParameters) {
    this.#p = p;
    const pk = p.privateKey;
    this.wallet = new Wallet(
      pk instanceof Uint8Array
        ? { signerId: p.signerId, privateKey: pk }
        : { signerId: p.signerId, signer: pk },
    );
    this.#key = pk instanceof Uint8Array ? importP256PrivateKey(pk) : pk;
    // Ledger reads (transactions, blocks, state) are signed by this member too: the node
    // serves them to members only and logs any DSS record they carry.
    this.http = new MedledgerClient(p.baseUrl, {
      signerId: p.signerId,
      privateKey: this.#key,
      now: () => this.#now(),
    });
  }

  get memberId(): string {
    return this.wallet.signerId;
  }

  #now(): number {
    return (this.#p.now ?? Date.now)();
  }

  /**
   * The base URL of `org`'s node: the holder of an SPV record or an STT release key serves it,
   * so a doctor at hospital B reads hospital A's record from A's node. The address comes from
   * `nodes`, else from this member's node; it is trusted for availability only — what is
   * served is sealed to this member and checked against the ledger.
   */
  async #urlOf(org?: string): Promise<string> {
    if (org === undefined) return this.#p.baseUrl;
    const given = this.#p.nodes?.[org];
    if (given !== undefined) return given;
    this.#peers ??= this.http.status().then((s) => peerUrlsOf(s.nodes));
    try {
      return (await this.#peers)[org] ?? this.#p.baseUrl;
    } catch (e) {
      this.#peers = undefined; // asked again next time
      throw e;
    }
  }

  /** The table-typed client of `org`'s node (this member's node without one), signing as this member. */
  async #api(org?: string): Promise<ApiClient> {
    return new ApiClient(await this.#urlOf(org), {
      signerId: this.memberId,
      privateKey: this.#key,
      now: () => this.#now(),
    });
  }

  /**
   * A signed request by method and path to a node's routes (the routes of the table are called
   * through it: `ApiClient.send`); throws MedledgerHttpError on an error status.
   */
  async signed<T>(method: string, path: string, body?: unknown, org?: string): Promise<T> {
    return (await (await this.#api(org)).send(method, path, body, { sign: true })).body as T;
  }

  /**
   * A world-state value, or undefined when the key has none (signed request).
   * @throws MedledgerHttpError on any other error (e.g. 401 for a revoked member)
   */
  async state<T>(key: string): Promise<T | undefined> {
    try {
      return (await this.http.getState<T>(key)).value;
    } catch (e) {
      if (e instanceof MedledgerHttpError && e.status === 404) return undefined;
      throw e;
    }
  }

  async #chain(): Promise<string> {
    this.#chainId ??= (await this.http.status()).chainId;
    return this.#chainId;
  }

  /** This member's organization (from its ledger entry). */
  async org(): Promise<string> {
    this.#org ??= (await this.state<{ org: string }>(`member:${this.memberId}`))?.org;
    if (this.#org === undefined) throw new RecordsError('UNKNOWN_SIGNER', 'this member is not enrolled');
    return this.#org;
  }

  /** Builds, signs, submits a single-signer transaction and waits for it; throws unless code OK. */
  async submit(type: TxType, payload: Obj): Promise<{ txId: string; receipt: Receipt }> {
    const tx = await this.wallet.txFromJsonAsync({
      chainId: await this.#chain(),
      type,
      payload,
      createdAt: this.#now(),
    });
    return this.#commit(tx);
  }

  async #commit(tx: SignedTx): Promise<{ txId: string; receipt: Receipt }> {
    const receipt = await this.http.submitAndWait(tx, this.#p.waitMs ?? 10_000);
    if (receipt.code !== 'OK') throw new RecordsError(receipt.code, receipt.message ?? receipt.code);
    return { txId: receipt.txId, receipt };
  }

  // ---- patient control ----------------------------------------------------------------------

  /** The patient names (or removes) the doctors who may write their records. */
  setCareTeam(add: string[], remove: string[] = []): Promise<{ txId: string; receipt: Receipt }> {
    return this.submit('patient.careteam', { add, remove });
  }

  /**
   * The patient's own minimum quorum of their DSS records (`patient.record-quorum`): it raises
   * the consortium's minimum, never lowers it.
   */
  setRecordQuorum(min: number): Promise<{ txId: string; receipt: Receipt }> {
    return this.submit('patient.record-quorum', { min });
  }

  /** The patient grants access (default deny; times are block times in ms). */
  grantConsent(p: {
    grantId: string;
    grantee: Grantee;
    scope: Scope;
    purposes: Purpose[];
    notBefore: number;
    notAfter: number;
    linkage?: boolean;
    emergency?: boolean;
  }): Promise<{ txId: string; receipt: Receipt }> {
    return this.submit('consent.grant', p as unknown as Obj);
  }

  /** The patient revokes a grant: denied from the block carrying the revocation on. */
  revokeConsent(grantId: string): Promise<{ txId: string; receipt: Receipt }> {
    return this.submit('consent.revoke', { grantId });
  }

  /**
   * The patient asks for erasure through the node: SPV/STT → the holder shreds the record or
   * release key; DSS → MedledgerHttpError ERASURE_NOT_POSSIBLE (nothing is submitted).
   */
  async erase(recordId: string, reason: string): Promise<{ txId: string; receipt?: Receipt }> {
    const tx = await this.wallet.txAsync({
      chainId: await this.#chain(),
      type: 'record.erase',
      payload: { recordId, reason },
      createdAt: this.#now(),
    });
    const r = (await (
      await this.#api()
    ).call(API.records.erase, {
      params: { recordId },
      query: { wait: String(this.#p.waitMs ?? 10_000) },
      body: { tx },
    })) as { txId: string; receipt?: Receipt };
    if (r.receipt && r.receipt.code !== 'OK')
      throw new RecordsError(r.receipt.code, r.receipt.message ?? r.receipt.code);
    return r;
  }

  /** This patient's consent grants, oldest first (revoked ones too, with `revokedAtHeight`). */
  async consents(): Promise<Grant[]> {
    const r = await (await this.#api()).call(API.records.patientConsents, { params: { id: this.memberId } });
    return r.grants as unknown as Grant[];
  }

  /** The patient's access log (every decision, logged read, consent change, transmission, erasure). */
  async accessLog(after = 0): Promise<({ type: string; seq: number; txId: string } & Obj)[]> {
    const r = await (
      await this.#api()
    ).call(API.records.accessLog, {
      params: { id: this.memberId },
      query: after ? { after: String(after) } : undefined,
    });
    return r.entries as ({ type: string; seq: number; txId: string } & Obj)[];
  }

  /** The records indexed under an episode subject (see recordCrypto.ts `episodeSubject`). */
  async recordsBySubject(subject: string): Promise<({ recordId: string; mode: string } & Obj)[]> {
    const r = await (await this.#api()).call(API.records.bySubject, { query: { subject } });
    return r.records as ({ recordId: string; mode: string } & Obj)[];
  }

  /** The patient releases a study key for a grant with linkage to the node of `org`. */
  async releaseStudyKey(grantId: string, studyKey: Uint8Array, org?: string): Promise<{ grantId: string }> {
    const api = await this.#api(org);
    return (await api.call(API.records.putStudyKey, {
      params: { id: this.memberId, grantId },
      body: { studyKey: toB64u(studyKey) },
    })) as { grantId: string };
  }

  // ---- DSS ----------------------------------------------------------------------------------

  /**
   * Builds a DSS record body to be signed by `[this member, ...coSigners]` (k of the n
   * `responsible`). `prev` defaults to the patient's current DSS chain head.
   */
  async prepareDss(
    p: RecordMetaParameters & { resource: Obj; responsible: string[]; k: number; prev?: string | null },
    coSigners: string[] = [],
  ): Promise<TxBody> {
    const prev =
      p.prev !== undefined
        ? p.prev
        : ((await this.state<{ head: string }>(`chain:dss:${p.patient}`))?.head ?? null);
    const payload: Obj = {
      recordId: p.recordId,
      patient: p.patient,
      subject: p.subject ?? subjectOf(p.resource),
      category: p.category,
      resourceType: String(p.resource.resourceType),
      responsible: [...p.responsible].sort(),
      k: p.k,
      prev,
      resource: p.resource,
    };
    if (p.replaces !== undefined) payload.replaces = p.replaces;
    return this.wallet.bodyFromJson({
      chainId: await this.#chain(),
      type: 'record.dss',
      payload,
      createdAt: this.#now(),
      coSigners,
    });
  }

  /** This member's signature of a co-signed body (a responsible doctor co-signing). */
  sign(body: TxBody): SignedTx['signatures'][number] {
    return this.wallet.signature(body);
  }

  /** {@link sign} with any signer (a browser's WebCrypto key, which signs only asynchronously). */
  signAsync(body: TxBody): Promise<SignedTx['signatures'][number]> {
    return this.wallet.signatureAsync(body);
  }

  /** Puts the co-signatures together and submits; throws unless code OK (e.g. QUORUM_NOT_MET). */
  submitCosigned(
    body: TxBody,
    signatures: SignedTx['signatures'],
  ): Promise<{ txId: string; receipt: Receipt }> {
    return this.#commit(assembleTx(body, signatures));
  }

  /** Writes a DSS record signed by this member alone (k = 1 unless co-signed). */
  async writeDss(
    p: RecordMetaParameters & { resource: Obj; responsible?: string[]; prev?: string | null },
  ): Promise<{ txId: string; receipt: Receipt }> {
    const body = await this.prepareDss({ ...p, responsible: p.responsible ?? [this.memberId], k: 1 });
    return this.submitCosigned(body, [await this.signAsync(body)]);
  }

  /** Reads a DSS record through the API (logged on the ledger by the node). */
  async readDss(recordId: string, purpose: Purpose = 'treatment'): Promise<DssRead> {
    const api = await this.#api();
    return (await api.call(API.records.readDss, { params: { recordId }, query: { purpose } })) as DssRead;
  }

  // ---- SPV ----------------------------------------------------------------------------------

  /** Uploads a record to this member's node; returns the commitment (checked locally) and salt. */
  async uploadSpv(p: { recordId: string; patient: string; resource: Obj }): Promise<{
    commitment: string;
    salt: Uint8Array;
    subject: string;
    category: string;
    resourceType: string;
  }> {
    const { commitment, salt } = commit(canonicalBytes(p.resource));
    const r = await this.signed<{
      commitment: string;
      subject: string;
      category: string;
      resourceType: string;
    }>(
      'POST',
      API.records.uploadSpv.path,
      { recordId: p.recordId, patient: p.patient, resource: p.resource, salt: toB64u(salt) },
      await this.org(),
    );
    if (r.commitment !== toHex(commitment))
      throw new RecordsError('COMMITMENT_MISMATCH', 'the node computed another commitment for the upload');
    return {
      commitment: r.commitment,
      salt,
      subject: r.subject,
      category: r.category,
      resourceType: r.resourceType,
    };
  }

  /**
   * Uploads the record to this member's node, then writes its `record.spv` (category and
   * type as the node derived them from the FHIR resource, unless `category` overrides).
   */
  async writeSpv(
    p: Omit<RecordMetaParameters, 'category'> & { category?: string; resource: Obj; prev?: string | null },
  ): Promise<{ txId: string; receipt: Receipt; commitment: string }> {
    const up = await this.uploadSpv(p);
    const prev =
      p.prev !== undefined
        ? p.prev
        : ((await this.state<{ head: string }>(`chain:spv:${p.patient}`))?.head ?? null);
    const payload: Obj = {
      recordId: p.recordId,
      patient: p.patient,
      subject: p.subject ?? up.subject,
      category: p.category ?? up.category,
      resourceType: up.resourceType,
      responsible: [this.memberId],
      k: 1,
      prev,
      commitment: up.commitment,
      holder: await this.org(),
    };
    if (p.replaces !== undefined) payload.replaces = p.replaces;
    return { ...(await this.submit('record.spv', payload)), commitment: up.commitment };
  }

  /** Asks the ledger for access; the decision (allowed or not) is logged there. */
  async requestAccess(
    recordId: string,
    purpose: Purpose,
  ): Promise<{ txId: string; decision: AccessDecisionEntry }> {
    const { txId } = await this.submit('access.request', { recordId, purpose });
    const decision = await this.state<AccessDecisionEntry>(`access:${txId}`);
    if (!decision) throw new RecordsError('NOT_FOUND', 'no decision recorded for the request');
    return { txId, decision };
  }

  /**
   * The record transaction, checked as a light client: valid, in a block a quorum of the
   * consortium's nodes signed a checkpoint of.
   */
  #checkedTx(txId: string): Promise<TxWithProof> {
    // One fetch per transaction, shared by the reads that need it at once (two identical
    // signed requests in the same millisecond would be one request replayed, to the node).
    let p = this.#checked.get(txId);
    if (p === undefined) {
      p = this.#fetchCheckedTx(txId);
      if (this.#checked.size >= CHECKED_TX_CACHE) this.#checked.delete(this.#checked.keys().next().value!);
      this.#checked.set(txId, p);
      p.catch(() => this.#checked.delete(txId));
    }
    return p;
  }

  async #fetchCheckedTx(txId: string): Promise<TxWithProof> {
    this.#genesis ??= await this.http.genesis();
    const t = await this.http.getTx(txId, { finalWaitMs: 10_000 });
    const check = checkTxWithProof(t, this.#genesis);
    if (!check.ok)
      throw new RecordsError('BAD_PROOF', `the record transaction does not verify: ${check.reason}`);
    return t;
  }

  /** Fetches the record of an allowed SPV request from the holder's node and checks it. */
  async fetchSpv(requestTxId: string, holder?: string): Promise<FetchedSpvRecord> {
    const r = await this.signed<ServedSpv>(
      'GET',
      pathOf(API.records.spvRecord, { txId: requestTxId }),
      undefined,
      holder,
    );
    return this.#openServed(r, requestTxId);
  }

  /** Opens a served SPV record and checks it against its light-client-checked transaction. */
  async #openServed(r: ServedSpv, requestTxId: string): Promise<FetchedSpvRecord> {
    const key = this.#encryptionKey();
    const plain = await openEnvelope(
      envelopeFromJson(r.envelope),
      { id: this.memberId, privateKey: key },
      spvServeAad(r.recordId, requestTxId),
    );
    return this.#checkServed(r, JSON.parse(new TextDecoder().decode(plain)) as ServedBody);
  }

  /** Checks a served record's body against its light-client-checked record transaction. */
  async #checkServed(r: Omit<ServedSpv, 'envelope'>, body: ServedBody): Promise<FetchedSpvRecord> {
    const t = await this.#checkedTx(r.recordTxId);
    const payload = t.tx.body.payload as { recordId?: string; commitment?: string };
    if (!isTxOf(t.tx.body, 'record.spv') || payload.recordId !== r.recordId || !payload.commitment)
      throw new RecordsError('BAD_PROOF', 'the served transaction is not the record’s SPV transaction');
    const holderOf = (t.tx.body.payload as { holder?: unknown }).holder;
    if (typeof holderOf === 'string') this.#holders.set(r.recordId, holderOf);
    const verified =
      body.salt !== undefined &&
      verifyCommitment(fromHex(payload.commitment), canonicalBytes(body.resource), fromB64u(body.salt));
    return {
      recordId: r.recordId,
      resource: body.resource,
      verified,
      deidentified: r.deidentified,
      removed: r.removed,
      commitment: payload.commitment,
    };
  }

  /**
   * Reads many SPV records at once (a page of a patient's records): one signed
   * `access.request` per read, submitted together (`POST /v1/txs/batch`), each decided and
   * logged on the ledger on its own; then the allowed ones fetched from each holder in one
   * call (`POST /v1/access/records`), which serves and logs each under its own decision. Every
   * record is checked as {@link readSpv} checks it. A read that is refused — denied by the
   * ledger, rejected at submission, not served — answers its code; the others go on.
   * @param reads at most 256 `{ recordId, purpose }`, in the order of the answers
   * @example
   * const page = await rc.readSpvMany(ids.map((recordId) => ({ recordId, purpose: 'treatment' })));
   * for (const r of page) if (r.ok) show(r.record.resource); else note(r.recordId, r.code);
   */
  async readSpvMany(reads: readonly { recordId: string; purpose: Purpose }[]): Promise<SpvReadResult[]> {
    if (reads.length < 1 || reads.length > MAX_BATCH_READS)
      throw new RecordsError('MALFORMED_REQUEST', `between 1 and ${MAX_BATCH_READS} reads at once`);
    const chainId = await this.#chain();
    const txs = reads.map(({ recordId, purpose }) =>
      this.wallet.txFromJson({
        chainId,
        type: 'access.request',
        payload: { recordId, purpose },
        createdAt: this.#now(),
      }),
    );
    const submitted = await this.http.submitBatch(txs, { waitMs: this.#p.waitMs ?? 10_000 });
    const out: (SpvReadResult | undefined)[] = reads.map(() => undefined);
    const refuse = (i: number, code: string, message: string): void => {
      out[i] = { ok: false, recordId: reads[i]!.recordId, code, message };
    };
    const byHolder = new Map<string, { i: number; txId: string }[]>();
    await Promise.all(
      submitted.map(async (r, i) => {
        if (r.status === 'rejected') return refuse(i, r.error.code, r.error.message);
        if (r.status !== 'committed')
          return refuse(i, 'TIMEOUT', `access request ${r.txId} not committed in time`);
        if (r.duplicate)
          return refuse(i, 'DUPLICATE_TX', 'this access request was already made: no new decision');
        if (r.receipt.code !== 'OK') return refuse(i, r.receipt.code, r.receipt.message ?? r.receipt.code);
        let holder = this.#holders.get(reads[i]!.recordId);
        if (holder === undefined) {
          const d = await this.state<AccessDecisionEntry>(`access:${r.txId}`);
          if (!d) return refuse(i, 'NOT_FOUND', 'no decision recorded for the request');
          if (!d.allow) return refuse(i, d.code, `access denied by the ledger: ${d.code}`);
          holder = d.holder ?? '';
        }
        const group = byHolder.get(holder) ?? [];
        group.push({ i, txId: r.txId });
        byHolder.set(holder, group);
      }),
    );
    await Promise.all(
      [...byHolder].map(async ([holder, group]) => {
        const api = await this.#api(holder === '' ? undefined : holder);
        const { results, envelope } = (await api.call(API.records.spvRecords, {
          body: { txIds: group.map((g) => g.txId) },
        })) as {
          results: (
            | ({ ok: true } & Omit<ServedSpv, 'envelope'>)
            | { ok: false; error: { code: string; message: string } }
          )[];
          envelope?: EnvelopeJson;
        };
        // The served records come sealed together, in the order of the request, bound to every
        // (record, request) pair served.
        const served = group.flatMap(({ i, txId }, k) => {
          const r = results[k];
          return r?.ok ? [{ i, txId, meta: r as Omit<ServedSpv, 'envelope'> }] : [];
        });
        await Promise.all(
          group.map(async ({ i, txId }, k) => {
            const r = results[k];
            if (r === undefined) return refuse(i, 'BAD_RESPONSE', 'the holder answered fewer results');
            if (r.ok) return;
            if (r.error.code !== 'ACCESS_DENIED') return refuse(i, r.error.code, r.error.message);
            const d = await this.state<AccessDecisionEntry>(`access:${txId}`);
            return d && !d.allow
              ? refuse(i, d.code, `access denied by the ledger: ${d.code}`)
              : refuse(i, r.error.code, r.error.message);
          }),
        );
        if (served.length === 0) return;
        let bodies: { requestTxId: string; recordId: string; body: ServedBody }[];
        try {
          if (!envelope) throw new Error('no envelope');
          const plain = await openEnvelope(
            envelopeFromJson(envelope),
            { id: this.memberId, privateKey: this.#encryptionKey() },
            spvBatchServeAad(served.map((x) => ({ recordId: reads[x.i]!.recordId, requestTxId: x.txId }))),
          );
          bodies = JSON.parse(new TextDecoder().decode(plain)) as typeof bodies;
          if (!Array.isArray(bodies) || bodies.length !== served.length) throw new Error('count');
        } catch {
          for (const x of served)
            refuse(x.i, 'BAD_RESPONSE', 'the served records do not open for these requests');
          return;
        }
        await Promise.all(
          served.map(async (x, k) => {
            const b = bodies[k]!;
            const recordId = reads[x.i]!.recordId;
            if (b.requestTxId !== x.txId || b.recordId !== recordId || x.meta.recordId !== recordId)
              return refuse(x.i, 'BAD_PROOF', 'the holder served another record');
            try {
              const rec = await this.#checkServed(x.meta, b.body);
              if (!rec.deidentified && !rec.verified)
                return refuse(
                  x.i,
                  'COMMITMENT_MISMATCH',
                  'the served record does not match its on-chain commitment',
                );
              out[x.i] = { ok: true, record: rec };
            } catch (e) {
              refuse(x.i, (e as { code?: string }).code ?? 'BAD_RESPONSE', (e as Error).message);
            }
          }),
        );
      }),
    );
    return out.map(
      (r, i) => r ?? { ok: false, recordId: reads[i]!.recordId, code: 'INTERNAL', message: 'no answer' },
    );
  }

  /**
   * Requests access to an SPV record and reads it from its holder; throws RecordsError with
   * the ledger's code if denied, COMMITMENT_MISMATCH if the served record is not the committed one.
   */
  async readSpv(recordId: string, purpose: Purpose): Promise<FetchedSpvRecord> {
    const holder = this.#holders.get(recordId);
    const rec =
      holder === undefined
        ? await this.#requestAndFetch(recordId, purpose)
        : await this.#requestAndFetchAt(recordId, purpose, holder);
    if (!rec.deidentified && !rec.verified)
      throw new RecordsError(
        'COMMITMENT_MISMATCH',
        'the served record does not match its on-chain commitment',
      );
    return rec;
  }

  /** The access request, the ledger's decision read from the node, then the holder's record. */
  async #requestAndFetch(recordId: string, purpose: Purpose): Promise<FetchedSpvRecord> {
    const { txId, decision } = await this.requestAccess(recordId, purpose);
    if (!decision.allow)
      throw new RecordsError(decision.code, `access denied by the ledger: ${decision.code}`);
    return this.fetchSpv(txId, decision.holder);
  }

  /**
   * For a record whose holder is known (from its checked record transaction): the access
   * request, then the record straight from the holder, which serves only under an allowed
   * decision on its ledger. The decision is read only when the holder refuses, to throw the
   * ledger's own code — one round trip fewer on the common path, and the same outcome.
   */
  async #requestAndFetchAt(recordId: string, purpose: Purpose, holder: string): Promise<FetchedSpvRecord> {
    const { txId } = await this.submit('access.request', { recordId, purpose });
    try {
      return await this.fetchSpv(txId, holder);
    } catch (e) {
      if (!(e instanceof MedledgerHttpError)) throw e;
      const decision = await this.state<AccessDecisionEntry>(`access:${txId}`);
      if (decision && !decision.allow)
        throw new RecordsError(decision.code, `access denied by the ledger: ${decision.code}`);
      if (decision?.holder !== undefined && decision.holder !== holder) {
        this.#holders.delete(recordId);
        return this.fetchSpv(txId, decision.holder);
      }
      throw e;
    }
  }

  // ---- STT ----------------------------------------------------------------------------------

  #encryptionKey(): Uint8Array {
    if (!this.#p.encryptionKey)
      throw new RecordsError('NO_ENCRYPTION_KEY', 'this client has no encryption key');
    return this.#p.encryptionKey;
  }

  async #receivers(ids: string[]): Promise<{ id: string; publicKey: Uint8Array }[]> {
    return Promise.all(
      ids.map(async (id) => {
        const m = await this.state<{ encryptionKey?: string }>(`member:${id}`);
        if (!m?.encryptionKey) throw new RecordsError('BAD_RECEIVER', `${id} has no encryption key`);
        return { id, publicKey: fromB64u(m.encryptionKey) };
      }),
    );
  }

  /**
   * Sends a record to receivers: keeps a fresh release key at this member's node, encrypts the
   * record under it, wraps that for the receivers and writes the first `record.stt`. If another
   * member claimed the record id at the node first, the record is written first and the key
   * deposited after: the node keeps the key of the writer the ledger names.
   */
  async sendStt(
    p: RecordMetaParameters & { resource: Obj; receivers: string[]; purpose: Purpose },
  ): Promise<{ txId: string; receipt: Receipt }> {
    const releaseKey = randomBytes(RELEASE_KEY_BYTES);
    const inner = encryptSttBody(releaseKey, canonicalBytes(p.resource), p.recordId);
    const env = await sealEnvelope({
      plaintext: inner,
      receivers: await this.#receivers(p.receivers),
      aad: sttEnvelopeAad(p.recordId),
    });
    const holder = await this.org();
    const deposit = (): Promise<unknown> =>
      this.signed(
        'PUT',
        pathOf(API.records.putReleaseKey, { recordId: p.recordId }),
        { key: toB64u(releaseKey), patient: p.patient },
        holder,
      );
    // Another member may have claimed the id first: then the record is written first, and its
    // writer's key, deposited after, displaces the claim (a claim never blocks the writer).
    const claimed = await deposit().then(
      () => false,
      (e: unknown) => {
        if (e instanceof MedledgerHttpError && e.code === 'DUPLICATE_RECORD') return true;
        releaseKey.fill(0);
        throw e;
      },
    );
    let written: { txId: string; receipt: Receipt };
    try {
      written = await this.submit('record.stt', {
        recordId: p.recordId,
        patient: p.patient,
        subject: p.subject ?? subjectOf(p.resource),
        category: p.category,
        resourceType: String(p.resource.resourceType),
        receivers: p.receivers,
        purpose: p.purpose,
        prev: null,
        holder,
        envelope: envelopeToJson(env) as unknown as Obj,
      });
      if (claimed && written.receipt.code === 'OK') await deposit();
    } finally {
      releaseKey.fill(0);
    }
    return written;
  }

  /**
   * Keeps an STT record's release key at the node of `holder` (this member's organization by
   * default), before the record is written; the node confirms it when the record commits.
   */
  async depositReleaseKey(
    recordId: string,
    patient: string,
    key: Uint8Array,
    holder?: string,
  ): Promise<{ recordId: string; pendingUntil: number }> {
    return this.signed(
      'PUT',
      pathOf(API.records.putReleaseKey, { recordId }),
      { key: toB64u(key), patient },
      holder ?? (await this.org()),
    );
  }

  /**
   * Writes an STT record encrypted once under an attribute policy (`record.stt.abe`): a fresh
   * release key is kept at this member's node, the record is sealed under it and then
   * ABE-encrypted (confidentiality.ts `abeRecordTx`). Readers need matching attribute keys AND
   * the release key, which the node releases only after their `access.request` committed.
   */
  async sendSttAbe(
    p: RecordMetaParameters & { resource: Obj; policy: string; purpose?: Purpose },
  ): Promise<{ txId: string; receipt: Receipt }> {
    const releaseKey = randomBytes(RELEASE_KEY_BYTES);
    try {
      await this.depositReleaseKey(p.recordId, p.patient, releaseKey);
      const tx = await abeRecordTx(
        { wallet: this.wallet, chainId: await this.#chain(), createdAt: this.#now() },
        this.#source(),
        {
          recordId: p.recordId,
          patient: p.patient,
          subject: p.subject ?? subjectOf(p.resource),
          category: p.category,
          resourceType: String(p.resource.resourceType),
          purpose: p.purpose ?? 'treatment',
          policy: p.policy,
          plaintext: canonicalBytes(p.resource),
          releaseKey,
        },
      );
      return await this.#commit(tx);
    } finally {
      releaseKey.fill(0);
    }
  }

  /**
   * Reads an ABE STT record with this member's attribute keys: opens the ABE layer, requests
   * access on the ledger (the read is logged; the ledger checks the member's certified
   * attributes against the policy), fetches the release key from the holder and decrypts.
   * @throws RecordsError with the ledger's code if denied (POLICY_NOT_SATISFIED, RECORD_ERASED);
   *   RangeError if the keys do not satisfy the policy
   */
  async openSttAbe(recordId: string, purpose: Purpose, keys: readonly AbeUserKey[]): Promise<Obj> {
    const inner = await openAbeLayer(this.#source(), recordId, keys);
    return this.#decryptAfterAccess(recordId, purpose, inner);
  }

  /** This member's signed view of the ledger (state and transactions). */
  #source(): LedgerSource {
    return httpLedgerSource(this.#p.baseUrl, {
      signerId: this.memberId,
      privateKey: this.#key,
      now: () => this.#now(),
    });
  }

  /** The last transmission of a record that reached this member (or the given one). */
  async #transmission(recordId: string, txId?: string): Promise<{ txId: string; payload: Obj }> {
    const path =
      (await readStateList<{ txId: string; to: string[] }>((k) => this.state(k), `stt:${recordId}`)) ?? [];
    const t = txId ?? [...path].reverse().find((x) => x.to.includes(this.memberId))?.txId;
    if (!t) throw new RecordsError('NOT_A_RECEIVER', 'no transmission of this record reached this member');
    const tx = await this.#checkedTx(t);
    return { txId: t, payload: tx.tx.body.payload as Obj };
  }

  /** Re-shares a received STT record with new receivers (one more edge of its DAG). */
  async reshareStt(p: {
    recordId: string;
    receivers: string[];
    purpose: Purpose;
    prev?: string;
  }): Promise<{ txId: string; receipt: Receipt }> {
    const from = await this.#transmission(p.recordId, p.prev);
    const env = envelopeFromJson(from.payload.envelope);
    const aad = sttEnvelopeAad(p.recordId);
    const grown = await addReceivers(
      env,
      { id: this.memberId, privateKey: this.#encryptionKey() },
      await this.#receivers(p.receivers.filter((r) => !env.receivers.some((w) => w.id === r))),
      aad,
    );
    const next = removeReceivers(
      grown,
      env.receivers.map((w) => w.id).filter((id) => !p.receivers.includes(id)),
    );
    return this.submit('record.stt', {
      recordId: p.recordId,
      patient: from.payload.patient!,
      subject: from.payload.subject!,
      category: from.payload.category!,
      resourceType: from.payload.resourceType!,
      receivers: p.receivers,
      purpose: p.purpose,
      prev: from.txId,
      holder: await this.org(),
      envelope: envelopeToJson(next) as unknown as Obj,
    });
  }

  /** Opens the envelope of a transmission to this member: the inner ciphertext (needs the release key). */
  async openSttEnvelope(recordId: string, txId?: string): Promise<Uint8Array> {
    const t = await this.#transmission(recordId, txId);
    return openEnvelope(
      envelopeFromJson(t.payload.envelope),
      { id: this.memberId, privateKey: this.#encryptionKey() },
      sttEnvelopeAad(recordId),
    );
  }

  /** Fetches the release key of an allowed STT request from the holder's node. */
  async fetchReleaseKey(requestTxId: string, holder?: string): Promise<Uint8Array> {
    const r = await this.signed<{ recordId: string; envelope: EnvelopeJson }>(
      'GET',
      pathOf(API.records.releaseKey, { txId: requestTxId }),
      undefined,
      holder,
    );
    return openEnvelope(
      envelopeFromJson(r.envelope),
      { id: this.memberId, privateKey: this.#encryptionKey() },
      releaseServeAad(r.recordId, requestTxId),
    );
  }

  /**
   * Reads an STT record sent to this member: opens its envelope, requests access on the
   * ledger (the decryption is logged), fetches the release key and decrypts.
   * @throws RecordsError with the ledger's code if denied (e.g. RECORD_ERASED)
   */
  async openStt(recordId: string, purpose: Purpose, txId?: string): Promise<Obj> {
    const inner = await this.openSttEnvelope(recordId, txId);
    return this.#decryptAfterAccess(recordId, purpose, inner);
  }
  /**
   * The common end of an STT read: requests access on the ledger (the read is logged), fetches
   * the release key from the holder, decrypts the inner layer and wipes the key.
   */
  async #decryptAfterAccess(
    recordId: string,
    purpose: Purpose,
    inner: Parameters<typeof decryptSttBody>[1],
  ): Promise<Obj> {
    const { txId: req, decision } = await this.requestAccess(recordId, purpose);
    if (!decision.allow)
      throw new RecordsError(decision.code, `access denied by the ledger: ${decision.code}`);
    const key = await this.fetchReleaseKey(req, decision.holder);
    try {
      return JSON.parse(new TextDecoder().decode(decryptSttBody(key, inner, recordId))) as Obj;
    } finally {
      key.fill(0);
    }
  }
}
