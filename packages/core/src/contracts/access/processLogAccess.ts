/**
 * `access.log` — a node records reads it served or refused outside an `access.request`
 * (e.g. DSS records read through its API), batched: one transaction per block may carry
 * many entries. Signed by the node's key (`node:<org>`). The entries live in the block; the
 * contract checks them and announces them to the patients concerned. Reads authenticated by an
 * anonymous credential are logged with their proof by `anon.read.log` instead; this contract
 * refuses their channel, so every such entry on the ledger carries a proof.
 *
 * An entry names the record read (`recordId`), or, for a read of a patient's data that is not
 * one record — a state value, an emergency request, an HE claim, the PEKS indexes — the
 * patient (`patient`, an enrolled patient) with `ref`, what was read (a state key or an id).
 * Exactly one of `recordId` and `patient`.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getMember } from '../../identity.js';
import { getRecord } from '../../records/state.js';
import { HEX32, ID, arr, int, obj, onlyKeys, str } from '../../validate.js';
import { malformed } from '../../errors.js';

export interface AccessLogEntry {
  /** The record read (or `patient`). */
  recordId?: string;
  /** The patient whose data was read, when it is not one record (or `recordId`). */
  patient?: string;
  /** With `patient`: what was read (a state key, a request or claim id). */
  ref?: string;
  requester: string;
  purpose: string;
  channel: string;
  outcome: 'allowed' | 'denied';
  code?: string;
  at: number;
}

export interface LogAccessPayload {
  entries: AccessLogEntry[];
}

const C = 'INVALID_PAYLOAD';
/** The channel of reads authenticated by an anonymous credential presentation. */
const ANON_CHANNEL = 'anon-credential';

export const processLogAccess: Contract<LogAccessPayload> = {
  type: 'access.log',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['entries'], 'payload', C);
    const entries = arr(p.entries, 'payload.entries', C, 1, 10_000).map((e, i) => {
      const path = `payload.entries[${i}]`;
      const o = obj(e, path, C);
      onlyKeys(
        o,
        ['recordId', 'patient', 'ref', 'requester', 'purpose', 'channel', 'outcome', 'code', 'at'],
        path,
        C,
      );
      if ((o.recordId === undefined) === (o.patient === undefined))
        malformed(C, path, 'names exactly one of recordId and patient');
      if (o.ref !== undefined && o.patient === undefined) malformed(C, `${path}.ref`, 'goes with patient');
      if (o.channel === ANON_CHANNEL)
        malformed(C, `${path}.channel`, `${ANON_CHANNEL} reads are logged by anon.read.log with their proof`);
      if (o.outcome !== 'allowed' && o.outcome !== 'denied')
        malformed(C, `${path}.outcome`, 'must be allowed or denied');
      const out: AccessLogEntry = {
        ...(o.recordId === undefined ? {} : { recordId: str(o.recordId, `${path}.recordId`, C, 128, ID) }),
        ...(o.patient === undefined ? {} : { patient: str(o.patient, `${path}.patient`, C, 64, HEX32) }),
        ...(o.ref === undefined ? {} : { ref: str(o.ref, `${path}.ref`, C, 200, ID) }),
        requester: str(o.requester, `${path}.requester`, C, 64, HEX32),
        purpose: str(o.purpose, `${path}.purpose`, C, 16, ID),
        channel: str(o.channel, `${path}.channel`, C, 16, ID),
        outcome: o.outcome,
        at: int(o.at, `${path}.at`, C, 0, 8.64e15),
      };
      if (o.code !== undefined) out.code = str(o.code, `${path}.code`, C, 64, ID);
      return out;
    });
    return { entries };
  },
  execute(ctx, p) {
    const node = ctx.signers[0];
    if (ctx.signers.length !== 1 || node?.kind !== 'node')
      return fail('UNAUTHORIZED', 'access logs are signed by a node key');
    for (const e of p.entries) {
      if (e.patient !== undefined) {
        if (getMember(ctx.state, e.patient)?.role !== 'patient')
          return fail('UNKNOWN_PATIENT', `${e.patient} is not an enrolled patient`);
        ctx.emit({ type: 'access.logged', node: node.org, ...e, patient: e.patient });
        continue;
      }
      const r = getRecord(ctx.state, e.recordId!);
      if (!r) return fail('UNKNOWN_RECORD', `no record ${e.recordId}`);
      ctx.emit({ type: 'access.logged', patient: r.patientId, node: node.org, ...e });
    }
    return OK;
  },
};
