/**
 * What a node does when a block commits (services.ts drives it from the feed, in block order,
 * before the block is indexed, so that a crash in between repeats the actions; each is
 * idempotent):
 * - confirm an upload: a committed `record.spv` whose commitment, category, resource type,
 *   subject and writer match what was uploaded confirms the pending EHR record and salt (a
 *   mismatch erases the upload, so a mislabelled record is never served); a first `record.stt`
 *   by the uploader of a release key confirms that key;
 * - execute an erasure: a committed `record.erase` of a record this organization holds erases
 *   the EHR record and salt (SPV) or the release key (STT), and logs it on the ledger
 *   (`access.log`, channel 'erasure'); idempotent, so a restart may repeat it;
 * - sweep: pending uploads older than `pendingTtlMs` whose transaction never committed are
 *   erased (crypto-shredded); their ids stay used.
 */
import { commit, toHex } from '@medledger/crypto';
import { getRecord, type RecordMode, type StateReader } from '@medledger/core';
import { isEhrError, type EhrStore } from '../ehr/types.js';
import type { CommittedLedgerEvent, LedgerView } from '../ledgerView.js';
import type { AccessLogBatcher } from './accessLogBatcher.js';
import type { ReleaseKeyVault } from './vault.js';

/** What the services must act on after a block committed. */
export type IndexAction =
  | { kind: 'written'; mode: RecordMode; recordId: string; txId: string; holder?: string; sender?: string }
  | { kind: 'erased'; mode: RecordMode; recordId: string; txId: string; holder: string; patient: string };

/**
 * The actions a block's events call for: a record created (`record.written`, or the first
 * `record.transmitted` of a key-wrapped STT record, whose sender deposited a release key) and
 * a record erased.
 */
export function actionsOf(events: readonly CommittedLedgerEvent[], state: StateReader): IndexAction[] {
  const out: IndexAction[] = [];
  for (const e of events) {
    if (e.type === 'record.written') {
      const holder = typeof e.holder === 'string' ? { holder: e.holder } : {};
      out.push({
        kind: 'written',
        mode: e.mode as RecordMode,
        recordId: String(e.recordId),
        txId: e.txId,
        ...holder,
      });
    } else if (e.type === 'record.transmitted') {
      const r = getRecord(state, String(e.recordId));
      // HPKE and ABE STT records alike: the sender's node confirms the release key it keeps.
      if (!r || r.txId !== e.txId) continue;
      const holder = r.holder === undefined ? {} : { holder: r.holder };
      out.push({
        kind: 'written',
        mode: r.mode,
        recordId: r.recordId,
        txId: e.txId,
        sender: String(e.from),
        ...holder,
      });
    } else if (e.type === 'record.erased') {
      out.push({
        kind: 'erased',
        mode: e.mode as RecordMode,
        recordId: String(e.recordId),
        txId: e.txId,
        holder: String(e.holder),
        patient: String(e.patient),
      });
    }
  }
  return out;
}

/** What the block actions need from the services. */
export interface ActionContext {
  node: LedgerView;
  org: string;
  ehr: EhrStore;
  vault: ReleaseKeyVault;
  accessLog: AccessLogBatcher;
  now: () => number;
  log: (message: string) => void;
  pendingTtlMs: number;
}

/** Acts on one indexed fact: confirms an upload or executes an erasure held here. */
export async function act(ctx: ActionContext, a: IndexAction): Promise<void> {
  if (a.kind === 'written') return confirmWritten(ctx, a);
  if (a.holder !== ctx.org) return;
  const now = ctx.now();
  let erased = ctx.vault.erase(a.recordId, now).length > 0;
  if (a.mode === 'spv') {
    try {
      erased = (await ctx.ehr.erase(a.recordId)).erased || erased;
    } catch (e) {
      if (!isEhrError(e, 'NOT_FOUND')) throw e;
    }
  }
  if (erased && a.patient !== '')
    ctx.accessLog.add({
      recordId: a.recordId,
      requester: a.patient,
      purpose: 'erasure',
      channel: 'erasure',
      outcome: 'allowed',
      code: 'ERASED',
      at: now,
    });
}

/** Confirms (or, on mismatch, erases) the upload behind a committed record transaction. */
export async function confirmWritten(
  ctx: ActionContext,
  a: Extract<IndexAction, { kind: 'written' }>,
): Promise<void> {
  if (a.holder !== ctx.org) return;
  const r = getRecord(ctx.node.store, a.recordId);
  if (!r || r.txId !== a.txId) return;
  const now = ctx.now();
  if (a.mode === 'stt') {
    const k = ctx.vault.get(a.recordId, 'release');
    if (k && k.owner === a.sender) ctx.vault.confirm(a.recordId, 'release', now);
    else ctx.log(`no release key uploaded by the sender of STT record ${a.recordId}`);
    return;
  }
  if (a.mode !== 'spv') return;
  const salt = ctx.vault.get(a.recordId, 'salt');
  const stored = salt && (await ctx.ehr.get(a.recordId));
  if (!salt || !stored) {
    ctx.log(`SPV record ${a.recordId} committed but not uploaded here`);
    return;
  }
  const ok =
    toHex(commit(stored.body, () => salt.secret).commitment) === r.commitment &&
    stored.category === r.category &&
    stored.resourceType === r.resourceType &&
    stored.patientRef === r.subject &&
    r.authors.includes(salt.owner);
  if (ok) {
    ctx.vault.confirm(a.recordId, 'salt', now);
    return;
  }
  ctx.log(`SPV record ${a.recordId}: the committed meta differs from the upload; upload erased`);
  ctx.vault.erase(a.recordId, now);
  await ctx.ehr.erase(a.recordId);
}

/** Erases pending uploads older than `pendingTtlMs` whose transaction has not committed. */
export async function sweepPending(ctx: ActionContext): Promise<void> {
  for (const p of ctx.vault.pendingBefore(ctx.now() - ctx.pendingTtlMs)) {
    const r = getRecord(ctx.node.store, p.id);
    if (r && r.holder === ctx.org) continue; // committed: confirmation is under way
    ctx.vault.erase(p.id, ctx.now(), p.kind);
    if (p.kind === 'salt') await ctx.ehr.erase(p.id).catch(() => undefined);
    ctx.log(`pending ${p.kind} for ${p.id} expired and was erased`);
  }
}
