/**
 * The patient's grant form: a member, a role at an organization or an organization is granted a
 * scope of the patient's records, for purposes, for a time (a `consent.grant` signed in the
 * page).
 */
import { useState, type FormEvent } from 'react';
import type { RecordsClient } from '@medledger/client';
import { PURPOSES, RECORD_CATEGORIES, type Grantee, type Purpose } from '@medledger/core';
import { randomBytes, toHex } from '@medledger/crypto';

const HOUR = 3_600_000;

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
      <Choices
        legend="Which records"
        options={RECORD_CATEGORIES.map((c) => ({ value: c, label: c }))}
        chosen={categories}
        onChange={setCategories}
      />
      <Choices
        legend="Which types of record (optional)"
        options={RESOURCE_TYPES.map((t) => ({ value: t, label: t }))}
        chosen={resourceTypes}
        onChange={setResourceTypes}
      />
      {choices.length > 0 && (
        <Choices
          legend="Only these records (optional)"
          options={choices.map((c) => ({ value: c.recordId, label: c.label }))}
          chosen={recordIds}
          onChange={setRecordIds}
        />
      )}
      <p className="muted">A record is shared only if it matches every choice above.</p>
      <Choices
        legend="For what"
        options={PURPOSES.map((p) => ({ value: p, label: p }))}
        chosen={purposes}
        onChange={setPurposes}
      />
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

/** A group of checkboxes: each option chosen or not, the chosen values kept in order of choice. */
function Choices<T extends string>({
  legend,
  options,
  chosen,
  onChange,
}: {
  legend: string;
  options: readonly { value: T; label: string }[];
  chosen: readonly T[];
  onChange: (chosen: T[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="inline">
          <input
            type="checkbox"
            checked={chosen.includes(o.value)}
            onChange={() =>
              onChange(chosen.includes(o.value) ? chosen.filter((x) => x !== o.value) : [...chosen, o.value])
            }
          />{' '}
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}
