/**
 * Consent, in the patient's page: the grants in force, each revocable (a `consent.revoke`
 * signed in the page). The form that grants one is ConsentForm.tsx.
 */
import { useState } from 'react';
import type { RecordsClient } from '@medledger/client';
import type { Grantee } from '@medledger/core';
import type { MemberName } from './loadTimeline.js';
import { Who } from './names.js';

/** An entry of the patient's access log. */
export type Entry = { type: string; seq: number; txId: string } & Record<string, unknown>;

/** Who a grant names, in words. */
export function granteeText(g: Grantee | undefined): string {
  if (!g) return '—';
  if (g.kind === 'member') return `member ${g.memberId.slice(0, 12)}…`;
  if (g.kind === 'role') return `${g.role}s at ${g.org}`;
  return `everyone at ${g.org}`;
}

/** The grants in force, from the access log's consent entries. */
export function Consents({
  grants,
  records,
  names,
}: {
  grants: readonly Entry[];
  records: RecordsClient;
  names: ReadonlyMap<string, MemberName>;
}) {
  return (
    <div className="card">
      <h3>Your consents</h3>
      {grants.length === 0 ? (
        <p className="muted">You have granted nothing: nobody outside your care team reads your records.</p>
      ) : (
        <ul className="grants">
          {grants.map((g) => (
            <GrantItem key={String(g['grantId'])} g={g} records={records} names={names} />
          ))}
        </ul>
      )}
    </div>
  );
}

function GrantItem({
  g,
  records,
  names,
}: {
  g: Entry;
  records: RecordsClient;
  names: ReadonlyMap<string, MemberName>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const id = String(g['grantId']);
  async function revoke() {
    setBusy(true);
    setError(undefined);
    try {
      const r = await records.revokeConsent(id);
      if (r.receipt.code !== 'OK') setError(`The ledger refused the revocation: ${r.receipt.code}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const scope = g['scope'] as { categories?: string[]; resourceTypes?: string[] } | undefined;
  return (
    <li>
      {(g['grantee'] as Grantee | undefined)?.kind === 'member' ? (
        <Who id={(g['grantee'] as { memberId: string }).memberId} names={names} />
      ) : (
        <strong>{granteeText(g['grantee'] as Grantee)}</strong>
      )}{' '}
      may read {scope?.categories?.join(', ') ?? scope?.resourceTypes?.join(', ') ?? 'the records in scope'}{' '}
      for {((g['purposes'] as string[] | undefined) ?? []).join(', ')}{' '}
      <button onClick={() => void revoke()} disabled={busy} aria-label={`Revoke consent ${id}`}>
        {busy ? 'Revoking…' : 'Revoke'}
      </button>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </li>
  );
}

/** The form that grants access: checked in the page before anything is signed. */
/** FHIR R4 resource types a grant may name (the kinds of record the portal and the demo write). */
