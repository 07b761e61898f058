/**
 * The patient's page: who read what, live (the access log from the ledger, refreshed on each
 * notification of the patient's server-sent event stream), with denials and their reasons
 * highlighted; and consent: grant a member, a role at an organization or an organization a
 * scope, for purposes, for a time; revoke. Every grant and revocation is a transaction built
 * and signed in this page.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { subscribeNotifications, type RecordsClient } from '@medledger/client';
import { PURPOSES, RECORD_CATEGORIES, type Grantee, type Purpose } from '@medledger/core';
import { randomBytes, toHex } from '@medledger/crypto';
import type { Session } from '../session.js';

type Entry = { type: string; seq: number; txId: string } & Record<string, unknown>;

const HOUR = 3_600_000;

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
    return {
      who,
      what: `${String(e['recordId'] ?? e['ref'] ?? 'your data')} for ${String(e['purpose'] ?? 'unspecified')}`,
      outcome: allowed ? 'allowed' : 'denied',
      ...(allowed ? {} : { reason: String(e['code'] ?? 'denied') }),
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

function granteeText(g: Grantee | undefined): string {
  if (!g) return '—';
  if (g.kind === 'member') return `member ${g.memberId.slice(0, 12)}…`;
  if (g.kind === 'role') return `${g.role}s at ${g.org}`;
  return `everyone at ${g.org}`;
}

export function Patient({ session }: { session: Session }) {
  const records = session.records;
  const [log, setLog] = useState<Entry[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'retrying'>('connecting');
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let stop = false;
    const refresh = async () => {
      try {
        const entries = (await records.accessLog()) as Entry[];
        if (!stop) setLog(entries);
      } catch (e) {
        if (!stop) setError(`Could not load your access log: ${(e as Error).message}`);
      }
    };
    void refresh();
    const sub = subscribeNotifications({
      baseUrl: window.location.origin,
      patientId: session.memberId,
      privateKey: session.signingKey,
      onNotification: () => {
        setLive('live');
        void refresh();
      },
      onError: () => setLive('retrying'),
    });
    void sub.opened.then(
      () => !stop && setLive('live'),
      () => !stop && setLive('retrying'),
    );
    return () => {
      stop = true;
      sub.close();
    };
  }, [records, session]);

  const grants = useMemo(() => {
    const revoked = new Set(log.filter((e) => e.type === 'consent.revoked').map((e) => String(e['grantId'])));
    return log.filter((e) => e.type === 'consent.granted' && !revoked.has(String(e['grantId'])));
  }, [log]);
  const reads = log
    .filter((e) => e.type === 'access.decided' || e.type === 'access.logged')
    .slice()
    .reverse();

  return (
    <section aria-labelledby="patient-title">
      <h2 id="patient-title">Your records and who reads them</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <ConsentForm records={records} onDone={() => undefined} />
      <div className="card">
        <h3>Your consents</h3>
        {grants.length === 0 ? (
          <p className="muted">You have granted nothing: nobody outside your care team reads your records.</p>
        ) : (
          <ul className="grants">
            {grants.map((g) => (
              <GrantItem key={String(g['grantId'])} g={g} records={records} />
            ))}
          </ul>
        )}
      </div>
      <div className="card">
        <h3>
          Access log{' '}
          <span className={`live ${live}`}>
            {live === 'live' ? '● live' : live === 'retrying' ? 'reconnecting…' : 'connecting…'}
          </span>
        </h3>
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
                  <td className="mono">{d.who.length > 20 ? `${d.who.slice(0, 16)}…` : d.who}</td>
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
    </section>
  );
}

function GrantItem({ g, records }: { g: Entry; records: RecordsClient }) {
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
      <strong>{granteeText(g['grantee'] as Grantee)}</strong> may read{' '}
      {scope?.categories?.join(', ') ?? scope?.resourceTypes?.join(', ') ?? 'the records in scope'} for{' '}
      {((g['purposes'] as string[] | undefined) ?? []).join(', ')}{' '}
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

function ConsentForm({ records, onDone }: { records: RecordsClient; onDone: () => void }) {
  const [kind, setKind] = useState<'member' | 'role' | 'org'>('member');
  const [memberId, setMemberId] = useState('');
  const [org, setOrg] = useState('');
  const [role, setRole] = useState('doctor');
  const [categories, setCategories] = useState<string[]>(['lab']);
  const [purposes, setPurposes] = useState<Purpose[]>(['treatment']);
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
    if (categories.length === 0) return setMsg({ ok: false, text: 'Choose at least one kind of record.' });
    if (purposes.length === 0) return setMsg({ ok: false, text: 'Choose at least one purpose.' });
    if (!(h > 0 && h <= 24 * 365))
      return setMsg({ ok: false, text: 'The time is between 1 hour and a year.' });
    const grantee: Grantee =
      kind === 'member'
        ? { kind: 'member', memberId: memberId.trim() }
        : kind === 'role'
          ? { kind: 'role', org: org.trim(), role: role.trim() }
          : { kind: 'org', org: org.trim() };
    setBusy(true);
    try {
      const now = Date.now();
      const r = await records.grantConsent({
        grantId: `g-${toHex(randomBytes(8))}`,
        grantee,
        scope: { categories },
        purposes,
        notBefore: now - 60_000,
        notAfter: now + h * HOUR,
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
