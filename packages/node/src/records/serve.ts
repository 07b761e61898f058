/**
 * Serving reads whose decision is already on the ledger: an SPV record (survey §6.3) and an
 * STT release key (§6.2), each after an `access.request` transaction, and a DSS record (§6.1)
 * read through the API. The ledger decided; this code only enforces that decision and may
 * deny more (never less): it re-runs the core decision function against the current state
 * and clock as a defence (a grant revoked or expired since the request denies), refuses
 * decisions older than `decisionTtlMs`, and serves only to the member who made the request.
 *
 * What is served is sealed (HPKE envelope, crypto/envelope.ts) to the requester's X25519 key
 * registered at enrollment, with the record id and the request transaction id as context,
 * so a response cannot be replayed for another request or opened by anyone else.
 */
import {
  canonicalBytes,
  envelopeToJson,
  fromB64u,
  linkagePseudonym,
  sealEnvelope,
  toB64u,
  type EnvelopeJson,
  type JsonValue,
} from '@medledger/crypto';
import {
  LedgerError,
  decideRecordRead,
  getGrants,
  ledgerAttributes,
  getMember,
  getRecord,
  getTransmissions,
  keys,
  type AccessDecisionEntry,
  type AccessLogEntry,
  type MemberEntry,
  type Purpose,
  type ReadView,
  type RecordEntry,
} from '@medledger/core';
import { releaseServeAad, spvBatchServeAad, spvServeAad } from '@medledger/client';
import type { EhrStore } from '../ehr/types.js';
import type { LedgerView } from '../ledgerView.js';
import { deidentifyResource } from './deidentify.js';
import type { ReleaseKeyVault } from './vault.js';

/** What the serving functions need from the services. */
export interface ServeContext {
  node: LedgerView;
  org: string;
  ehr: EhrStore;
  vault: ReleaseKeyVault;
  now: () => number;
  decisionTtlMs: number;
  /** Writes an access-log entry; the read is answered only once it resolves (on disk). */
  log: (e: AccessLogEntry) => void | Promise<void>;
}

/** Response of {@link serveSpv}. */
export interface ServedSpvRecord {
  recordId: string;
  requestTxId: string;
  recordTxId: string;
  /** The on-chain commitment, hex (the requester should read it from the ledger itself). */
  commitment: string;
  /** True when identifiers were removed (research without linkage); then no salt is sent. */
  deidentified: boolean;
  /** Field paths removed by de-identification (names, never values). */
  removed: string[];
  /** Sealed `{ resource, salt? }` (canonical JSON; salt base64url). */
  envelope: EnvelopeJson;
}

/** Response of {@link serveRelease}. */
export interface ServedReleaseKey {
  recordId: string;
  requestTxId: string;
  /** Sealed 32-byte release key. */
  envelope: EnvelopeJson;
}

interface Checked {
  d: AccessDecisionEntry;
  record: RecordEntry;
  member: MemberEntry;
  /** The view of the ledger's decision, or a stricter one if the decision now is stricter. */
  view: ReadView;
  linkGrantId?: string;
}

async function deny(
  ctx: ServeContext,
  d: AccessDecisionEntry,
  code: string,
  message: string,
): Promise<never> {
  await ctx.log({
    recordId: d.recordId,
    requester: d.requester,
    purpose: d.purpose,
    channel: d.mode,
    outcome: 'denied',
    code,
    at: ctx.now(),
  });
  throw new LedgerError({ code: code === 'RECORD_ERASED' ? 'RECORD_ERASED' : 'ACCESS_DENIED' }, message);
}

/** The checks common to SPV and STT serving. */
async function checkDecision(
  ctx: ServeContext,
  requester: MemberEntry,
  txId: string,
  mode: 'spv' | 'stt',
): Promise<Checked> {
  const state = ctx.node.store;
  const d = state.get(keys.access(txId)) as AccessDecisionEntry | undefined;
  if (!d)
    throw new LedgerError(
      { code: 'NOT_FOUND' },
      'no access decision for this transaction (is it committed?)',
    );
  if (d.requester !== requester.id)
    throw new LedgerError({ code: 'FORBIDDEN' }, 'this access decision was made for another member');
  if (d.mode !== mode)
    throw new LedgerError(
      { code: 'WRONG_MODE' },
      `the record is ${d.mode.toUpperCase()}, not ${mode.toUpperCase()}`,
    );
  if (!d.allow) throw new LedgerError({ code: 'ACCESS_DENIED' }, `the ledger denied this access: ${d.code}`);
  if (d.holder !== ctx.org)
    throw new LedgerError(
      { code: 'NOT_HOLDER' },
      `the record is held by ${d.holder ?? 'another organization'}'s node`,
    );
  const record = getRecord(state, d.recordId);
  if (!record) throw new LedgerError({ code: 'NOT_FOUND' }, 'unknown record');
  if (record.erasedAt !== undefined)
    return deny(ctx, d, 'RECORD_ERASED', `the record was erased at height ${record.erasedAt}`);
  if (ctx.now() - d.time > ctx.decisionTtlMs)
    throw new LedgerError(
      { code: 'DECISION_EXPIRED' },
      'this access decision is too old; submit a new access.request',
    );
  const member = getMember(state, requester.id)!;
  // Defence in depth: the same decision (core/access/decideRecordRead), now. It can only take
  // away what the ledger gave.
  const again = decideRecordRead({
    record,
    requester: { memberId: member.id, org: member.org, role: member.role },
    identity: 'named',
    purpose: d.purpose as Purpose,
    grants: getGrants(state, record.patientId),
    transmissions: getTransmissions(state, d.recordId),
    attributes: ledgerAttributes(member),
    at: ctx.now(),
    height: ctx.node.head().height,
  });
  if (!again.allow) return deny(ctx, d, again.code, `access no longer allowed: ${again.code}`);
  if (member.encryptionKey === undefined)
    throw new LedgerError(
      { code: 'NO_ENCRYPTION_KEY' },
      'the requester has no encryption key registered on the ledger',
    );
  const strict = (v: string | undefined): number => ['identified', 'linked', 'deidentified'].indexOf(v ?? '');
  const ledgerView = (d.view ?? (d.linkage === false ? 'deidentified' : 'identified')) as ReadView;
  const view = strict(again.view) > strict(ledgerView) ? again.view : ledgerView;
  const linkGrantId = d.linkGrantId ?? (again.view === 'linked' ? again.linkGrantId : undefined);
  return { d, record, member, view, ...(linkGrantId === undefined ? {} : { linkGrantId }) };
}

async function sealFor(member: MemberEntry, plaintext: Uint8Array, aad: Uint8Array): Promise<EnvelopeJson> {
  const env = await sealEnvelope({
    plaintext,
    receivers: [{ id: member.id, publicKey: fromB64u(member.encryptionKey!) }],
    aad,
  });
  return envelopeToJson(env);
}

/**
 * Serves an SPV record for an allowed, recent `access.request` made by `requester`.
 * The view is the decision's (core/access/decideRecordRead): a secondary use (research, or a
 * researcher) without linkage gets a de-identified record and no salt (deidentify.ts); with
 * linkage it gets the study linkage pseudonym as subject when the patient released a study
 * key for the grant, else the record as stored.
 * @throws LedgerError NOT_FOUND, FORBIDDEN, WRONG_MODE, ACCESS_DENIED, NOT_HOLDER, RECORD_ERASED,
 *   DECISION_EXPIRED, NO_ENCRYPTION_KEY; EhrError CORRUPT if the stored row does not decrypt
 */
export async function serveSpv(
  ctx: ServeContext,
  requester: MemberEntry,
  requestTxId: string,
): Promise<ServedSpvRecord> {
  const p = await prepareSpv(ctx, requester, requestTxId);
  const envelope = await sealFor(p.member, canonicalBytes(p.body), spvServeAad(p.meta.recordId, requestTxId));
  await ctx.log(p.entry);
  return { ...p.meta, envelope };
}

/** An SPV record ready to be sealed: what {@link serveSpv} answers, its plaintext and log entry. */
interface PreparedSpv {
  member: MemberEntry;
  meta: Omit<ServedSpvRecord, 'envelope'>;
  /** `{ resource, salt? }`, to be sealed to the requester. */
  body: { [k: string]: JsonValue };
  entry: AccessLogEntry;
}

/** Everything of {@link serveSpv} but sealing and logging: the checks, the EHR read, the view. */
async function prepareSpv(
  ctx: ServeContext,
  requester: MemberEntry,
  requestTxId: string,
): Promise<PreparedSpv> {
  const { d, record, member, view, linkGrantId } = await checkDecision(ctx, requester, requestTxId, 'spv');
  const salt = ctx.vault.get(d.recordId, 'salt');
  const stored = await ctx.ehr.get(d.recordId);
  if (!salt?.confirmedAt || !stored)
    throw new LedgerError({ code: 'NOT_FOUND' }, 'this node does not hold the record');
  let resource = JSON.parse(Buffer.from(stored.body).toString('utf8')) as { [k: string]: JsonValue };
  let removed: string[] = [];
  let deidentified = false;
  let body: { [k: string]: JsonValue } = { resource, salt: toB64u(salt.secret) };
  if (view !== 'identified') {
    const study = linkGrantId === undefined ? undefined : ctx.vault.get(`grant:${linkGrantId}`, 'study');
    if (view === 'deidentified' || study) {
      const linkageId =
        view === 'linked' && study ? linkagePseudonym(study.secret, record.patientId) : undefined;
      ({ resource, removed } = deidentifyResource(resource, linkageId));
      deidentified = true;
      body = { resource };
    }
  }
  return {
    member,
    meta: {
      recordId: d.recordId,
      requestTxId,
      recordTxId: record.txId,
      commitment: record.commitment ?? '',
      deidentified,
      removed,
    },
    body,
    entry: {
      recordId: d.recordId,
      requester: member.id,
      purpose: d.purpose,
      channel: 'spv',
      outcome: 'allowed',
      at: ctx.now(),
    },
  };
}

/** One answer of {@link serveSpvMany}: a served record's meta, or why the request was refused. */
export type ServedSpvResult =
  | (Omit<ServedSpvRecord, 'envelope'> & { ok: true })
  | { ok: false; requestTxId: string; error: { code: string; message: string } };

/** Response of {@link serveSpvMany}. */
export interface ServedSpvBatch {
  /** One per request, in order. */
  results: ServedSpvResult[];
  /**
   * The served records, sealed once to the requester: canonical JSON of
   * `[{ requestTxId, recordId, body: { resource, salt? } }, ...]` in the order of the served
   * results, under `spvBatchServeAad` of those (record id, request) pairs. Absent if none was served.
   */
  envelope?: EnvelopeJson;
}

/**
 * Serves the SPV records of many `access.request`s of one requester (a page of a patient's
 * records, a batch of reads): each request is checked as {@link serveSpv} checks it — its own
 * decision on the ledger, checked again now — and gets its own log entry; a refused one answers
 * its code without failing the others. The served records are sealed together in one envelope
 * to the requester (one HPKE seal instead of one per record: the receiver, and so the
 * protection, is the same), bound to every (record, request) pair it carries. Their log entries
 * are written in one group commit (accessLogOutbox.ts) before the answer.
 */
export async function serveSpvMany(
  ctx: ServeContext,
  requester: MemberEntry,
  requestTxIds: readonly string[],
): Promise<ServedSpvBatch> {
  const prepared = await Promise.all(
    requestTxIds.map((txId) =>
      prepareSpv(ctx, requester, txId).then(
        (p) => ({ txId, p }),
        (e: unknown) => {
          if (!(e instanceof LedgerError)) throw e;
          return { txId, error: { code: e.code as string, message: e.message } };
        },
      ),
    ),
  );
  const served = prepared.flatMap((x) => ('p' in x ? [x.p] : []));
  const results: ServedSpvResult[] = prepared.map((x) =>
    'p' in x ? { ok: true, ...x.p.meta } : { ok: false, requestTxId: x.txId, error: x.error },
  );
  if (served.length === 0) return { results };
  const plaintext = canonicalBytes(
    served.map((p) => ({ requestTxId: p.meta.requestTxId, recordId: p.meta.recordId, body: p.body })),
  );
  const envelope = await sealFor(served[0]!.member, plaintext, spvBatchServeAad(served.map((p) => p.meta)));
  await Promise.all(served.map((p) => ctx.log(p.entry)));
  return { results, envelope };
}

/**
 * Serves an STT record's release key to a receiver, for an allowed, recent `access.request`.
 * @throws as {@link serveSpv}; RECORD_ERASED when the key was shredded
 */
export async function serveRelease(
  ctx: ServeContext,
  requester: MemberEntry,
  requestTxId: string,
): Promise<ServedReleaseKey> {
  const { d, member } = await checkDecision(ctx, requester, requestTxId, 'stt');
  const key = ctx.vault.get(d.recordId, 'release');
  if (!key) {
    if (ctx.vault.isErased(d.recordId, 'release'))
      await deny(ctx, d, 'RECORD_ERASED', 'the release key was erased');
    throw new LedgerError({ code: 'NOT_FOUND' }, 'this node holds no release key for the record');
  }
  if (key.confirmedAt === undefined)
    throw new LedgerError({ code: 'NOT_FOUND' }, 'the release key is not confirmed yet');
  const envelope = await sealFor(member, key.secret, releaseServeAad(d.recordId, requestTxId));
  await ctx.log({
    recordId: d.recordId,
    requester: member.id,
    purpose: d.purpose,
    channel: 'stt',
    outcome: 'allowed',
    at: ctx.now(),
  });
  return { recordId: d.recordId, requestTxId, envelope };
}
