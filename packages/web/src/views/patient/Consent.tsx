/**
 * Consent, in the patient's page: the grants in force (each revocable, a `consent.revoke`
 * signed in the page) and the form that grants a member, a role at an organization or an
 * organization a scope, for purposes, for a time (a `consent.grant` signed in the page).
 */
import { useState, type FormEvent } from 'react';
import type { RecordsClient } from '@medledger/client';
import { PURPOSES, RECORD_CATEGORIES, type Grantee, type Purpose } from '@medledger/core';
import { randomBytes, toHex } from '@medledger/crypto';
import type { MemberName } from './loadTimeline.js';
import { Who } from './names.js';

/** An entry of the patient's access log. */
export type Entry = { type: string; seq: number; txId: string } & Record<string, unknown>;

const HOUR = 3_600_000;

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
const RESOURCE_TYPES = [
  'Observation',
  'Condition',
  'DiagnosticReport',
  'MedicationRequest',
  'Procedure',
  'Immunization',
  'AllergyIntolerance',
  'DocumentReference',
] as const;

/** One of the patient's own records, offered as a scope of its own. */
export interface RecordChoice {
  recordId: string;
  label: string;
}

/**
 * The grant form: to whom (a member, a role at an organization, an organization), which records
 * (categories, FHIR resource types, particular records — a record must match every dimension
 * chosen, as `inScope` in core decides), for what, and from when for how long.
 */
export function ConsentForm({
  records,
  onDone,
  choices = [],
}: {
  records: RecordsClient;
  onDone: () => void;
  choices?: readonly RecordChoice[];
}) {
  const [kind, setKind] = useState<'member' | 'role' | 'org'>('member');
  const [memberId, setMemberId] = useState('');
  const [org, setOrg] = useState('');
  const [role, setRole] = useState('doctor');
  const [categories, setCategories] = useState<string[]>(['lab']);
  const [resourceTypes, setResourceTypes] = useState<string[]>([]);
  const [recordIds, setRecordIds] = useState<string[]>([]);
  const [purposes, setPurposes] = useState<Purpose[]>(['treatment']);
  const [from, setFrom] = useState('');
  const [hours, setHours] = useState('1');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | undefined>();

  const toggle = <T,>(list: T[], x: T): T[] =>
    list.includes(x) ? list.filter((y) => y !== x) : [...list, x];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setMsg(undefined);
    const h = Number(hours);
    if (kind === 'member' && !/^[0-9a-f]{64}$/.test(memberId.trim()))
      return setMsg({
        ok: false,
        text: 'The member id is 64 hexadecimal characters (it is on their wallet or card).',
      });
    if (kind !== 'member' && org.trim() === '') return setMsg({ ok: false, text: 'Name the organization.' });
    if (categories.length + resourceTypes.length + recordIds.length === 0)
      return setMsg({
        ok: false,
        text: 'Choose which records: a kind, a type of record or particular records.',
      });
    if (purposes.length === 0) return setMsg({ ok: false, text: 'Choose at least one purpose.' });
    if (!(h > 0 && h <= 24 * 365))
      return setMsg({ ok: false, text: 'The time is between 1 hour and a year.' });
    const start = from === '' ? undefined : new Date(from).getTime();
    if (start !== undefined && !Number.isFinite(start))
      return setMsg({ ok: false, text: 'The start is not a date and time this page understands.' });
    const grantee: Grantee =
      kind === 'member'
        ? { kind: 'member', memberId: memberId.trim() }
        : kind === 'role'
          ? { kind: 'role', org: org.trim(), role: role.trim() }
          : { kind: 'org', org: org.trim() };
    setBusy(true);
    try {
      // Without a start the grant holds from now (a minute back, for clocks a little apart).
      const notBefore = start ?? Date.now() - 60_000;
      const r = await records.grantConsent({
        grantId: `g-${toHex(randomBytes(8))}`,
        grantee,
        scope: {
          ...(categories.length > 0 ? { categories } : {}),
          ...(resourceTypes.length > 0 ? { resourceTypes } : {}),
          ...(recordIds.length > 0 ? { recordIds } : {}),
        },
        purposes,
        notBefore,
        notAfter: (start ?? Date.now()) + h * HOUR,
      });
      if (r.receipt.code === 'OK') {
        setMsg({ ok: true, text: `Granted, in block ${r.receipt.height} (transaction ${r.txId}).` });
        onDone();
      } else
        setMsg({
          ok: false,
          text: `The ledger refused the consent: ${r.receipt.code} ${r.receipt.message ?? ''}`,
        });
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="grant-title">
      <h3 id="grant-title">Grant access</h3>
      <fieldset>
        <legend>To whom</legend>
        {(['member', 'role', 'org'] as const).map((k) => (
          <label key={k} className="inline">
            <input type="radio" name="grantee-kind" checked={kind === k} onChange={() => setKind(k)} />{' '}
            {k === 'member' ? 'a member' : k === 'role' ? 'a role at an organization' : 'an organization'}
          </label>
        ))}
      </fieldset>
      {kind === 'member' ? (
        <>
          <label htmlFor="grantee-member">Member id</label>
          <input
            id="grantee-member"
            value={memberId}
            onChange={(e) => setMemberId(e.target.value)}
            className="mono"
          />
        </>
      ) : (
        <>
          <label htmlFor="grantee-org">Organization</label>
          <input id="grantee-org" value={org} onChange={(e) => setOrg(e.target.value)} />
          {kind === 'role' && (
            <>
              <label htmlFor="grantee-role">Role</label>
              <input id="grantee-role" value={role} onChange={(e) => setRole(e.target.value)} />
            </>
          )}
        </>
      )}
      <fieldset>
        <legend>Which records</legend>
        {RECORD_CATEGORIES.map((c) => (
          <label key={c} className="inline">
            <input
              type="checkbox"
              checked={categories.includes(c)}
              onChange={() => setCategories(toggle(categories, c))}
            />{' '}
            {c}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Which types of record (optional)</legend>
        {RESOURCE_TYPES.map((t) => (
          <label key={t} className="inline">
            <input
              type="checkbox"
              checked={resourceTypes.includes(t)}
              onChange={() => setResourceTypes(toggle(resourceTypes, t))}
            />{' '}
            {t}
          </label>
        ))}
      </fieldset>
      {choices.length > 0 && (
        <fieldset>
          <legend>Only these records (optional)</legend>
          {choices.map((c) => (
            <label key={c.recordId} className="inline">
              <input
                type="checkbox"
                checked={recordIds.includes(c.recordId)}
                onChange={() => setRecordIds(toggle(recordIds, c.recordId))}
              />{' '}
              {c.label}
            </label>
          ))}
        </fieldset>
      )}
      <p className="muted">A record is shared only if it matches every choice above.</p>
      <fieldset>
        <legend>For what</legend>
        {PURPOSES.map((p) => (
          <label key={p} className="inline">
            <input
              type="checkbox"
              checked={purposes.includes(p)}
              onChange={() => setPurposes(toggle(purposes, p))}
            />{' '}
            {p}
          </label>
        ))}
      </fieldset>
      <label htmlFor="grant-from">Starting (leave empty for now)</label>
      <input id="grant-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
      <label htmlFor="grant-hours">For how many hours</label>
      <input id="grant-hours" inputMode="numeric" value={hours} onChange={(e) => setHours(e.target.value)} />
      <button type="submit" disabled={busy}>
        {busy ? 'Signing and committing…' : 'Grant'}
      </button>
      {msg && (
        <p role={msg.ok ? 'status' : 'alert'} className={msg.ok ? 'ok' : 'error'}>
          {msg.text}
        </p>
      )}
    </form>
  );
}
