/**
 * The patient's access log: every read of their records from the ledger, newest first, kept
 * live by the page's event stream; denials highlighted with their reason in words; the
 * patient's own reads (the node logs them too) on demand.
 */
import { useState } from 'react';
import type { Grantee } from '@medledger/core';
import { granteeText, type Entry } from './Consent.js';
import type { MemberName } from './loadTimeline.js';
import { Who } from './names.js';
import { reasonInWords } from './words.js';

function describe(e: Entry): {
  who: string;
  what: string;
  outcome: string;
  reason?: string;
  denied: boolean;
} {
  const who = String(e['requester'] ?? e['grantee'] ?? e['from'] ?? '—');
  if (e.type === 'access.decided' || e.type === 'access.logged') {
    const allowed = e['allow'] === true || e['outcome'] === 'allowed';
    const code = String(e['code'] ?? 'denied');
    return {
      who,
      what: `${String(e['recordId'] ?? e['ref'] ?? 'your data')} for ${String(e['purpose'] ?? 'unspecified')}`,
      outcome: allowed ? 'allowed' : 'denied',
      ...(allowed ? {} : { reason: reasonInWords(code) === code ? code : `${code}: ${reasonInWords(code)}` }),
      denied: !allowed,
    };
  }
  if (e.type === 'consent.granted')
    return {
      who: granteeText(e['grantee'] as Grantee),
      what: `consent ${String(e['grantId'])}`,
      outcome: 'granted',
      denied: false,
    };
  if (e.type === 'consent.revoked')
    return { who: '—', what: `consent ${String(e['grantId'])}`, outcome: 'revoked', denied: false };
  return { who, what: String(e['recordId'] ?? ''), outcome: e.type, denied: false };
}

/** The access log table, newest first, with the toggle for the patient's own reads. */
export function AccessLog({
  log,
  live,
  self,
  names,
}: {
  log: readonly Entry[];
  live: 'connecting' | 'live' | 'retrying';
  self: string;
  names: ReadonlyMap<string, MemberName>;
}) {
  const [ownReads, setOwnReads] = useState(false);
  const allReads = log.filter((e) => e.type === 'access.decided' || e.type === 'access.logged');
  // The patient's own reads (this page reading their records) are logged too; shown on demand.
  const mine = allReads.filter((e) => e['requester'] === self).length;
  const reads = allReads.filter((e) => ownReads || e['requester'] !== self).reverse();
  return (
    <div className="card">
      <h3>
        Access log{' '}
        <span className={`live ${live}`}>
          {live === 'live' ? '● live' : live === 'retrying' ? 'reconnecting…' : 'connecting…'}
        </span>
      </h3>
      <label className="inline small">
        <input type="checkbox" checked={ownReads} onChange={() => setOwnReads(!ownReads)} /> show your own
        reads ({mine})
      </label>
      <table className="log" aria-live="polite">
        <caption className="sr-only">Every read of your records, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {reads.map((e) => {
            const d = describe(e);
            return (
              <tr
                key={`${e.txId}-${e.seq}`}
                className={d.denied ? 'denied' : undefined}
                data-testid="log-entry"
              >
                <td>{String(e['height'] ?? '')}</td>
                <td>{/^[0-9a-f]{64}$/.test(d.who) ? <Who id={d.who} names={names} /> : d.who}</td>
                <td>{d.what}</td>
                <td>
                  {d.outcome}
                  {d.reason ? <strong> — {d.reason}</strong> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
