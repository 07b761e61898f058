/**
 * The patient's page: their records, newest first, each with how it lives on the ledger (DSS
 * chain and signers, SPV commitment and holder, STT transmission path as a graph), erasure
 * asked from the timeline; the notification feed (emergency access, erasures); who read what,
 * live (the access log from the ledger, refreshed on each notification of the patient's
 * server-sent event stream), with denials and their reasons highlighted; and consent: grant
 * a member, a role at an organization or an organization a scope, for purposes, for a time;
 * revoke. Every grant, revocation and erasure is a transaction built and signed in this page.
 * A node that does not answer for a moment is retried, and the page says so.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { subscribeNotifications, type PatientNotification, type RecordsClient } from '@medledger/client';
import { PURPOSES, RECORD_CATEGORIES, type Grantee, type Purpose } from '@medledger/core';
import { ckeys } from '@medledger/core/contracts/confidentiality';
import { randomBytes, toHex } from '@medledger/crypto';
import type { Session } from '../session.js';
import './patient/patient.css';
import type { ErasureOutcome } from './patient/EraseRecord.js';
import {
  feedItemOf,
  refusalItem,
  sortFeed,
  type EmergencyRequestEntry,
  type FeedItem,
} from './patient/feed.js';
import { Who } from './patient/names.js';
import { Notifications } from './patient/Notifications.js';
import { retrying } from './patient/retry.js';
import { Timeline } from './patient/Timeline.js';
import {
  loadTimeline,
  memberNames,
  type MemberName,
  type TimelineCache,
  type TimelineItem,
} from './patient/loadTimeline.js';
import { inWords, reasonInWords } from './patient/words.js';

type Entry = { type: string; seq: number; txId: string } & Record<string, unknown>;

const HOUR = 3_600_000;
/** Notifications that change the timeline. */
const RECORD_EVENTS = new Set(['record.written', 'record.transmitted', 'record.erased']);

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

function granteeText(g: Grantee | undefined): string {
  if (!g) return '—';
  if (g.kind === 'member') return `member ${g.memberId.slice(0, 12)}…`;
  if (g.kind === 'role') return `${g.role}s at ${g.org}`;
  return `everyone at ${g.org}`;
}

/** Calls `fn` once, `ms` after the last of a burst of calls. */
function coalesce(fn: () => void, ms: number): { (): void; cancel: () => void } {
  let t: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
  run.cancel = () => clearTimeout(t);
  return run;
}

export function Patient({ session }: { session: Session }) {
  const records = session.records;
  const [log, setLog] = useState<Entry[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'retrying'>('connecting');
  const [error, setError] = useState<string | undefined>();
  const [waiting, setWaiting] = useState<string | undefined>();
  const [timeline, setTimeline] = useState<TimelineItem[] | undefined>();
  const [timelineError, setTimelineError] = useState<string | undefined>();
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [names, setNames] = useState<ReadonlyMap<string, MemberName>>(new Map());
  const refusals = useRef(0);
  const cache = useRef<TimelineCache>(new Map());
  const [ownReads, setOwnReads] = useState(false);

  useEffect(() => {
    let stop = false;
    const stopped = () => stop;
    const wait = { onWaiting: (m: string | undefined) => !stop && setWaiting(m), stopped };
    const loadLog = async () => {
      try {
        const entries = (await retrying(() => records.accessLog(), wait)) as Entry[];
        if (!stop) setLog(entries);
      } catch (e) {
        if (!stop) setError(`Could not load your access log: ${inWords(e).text}.`);
      }
    };
    const loadRecords = async () => {
      try {
        const items = await retrying(
          () => loadTimeline(session.client, session.memberId, cache.current),
          wait,
        );
        if (stop) return;
        setTimeline(items);
        setTimelineError(undefined);
      } catch (e) {
        if (!stop) setTimelineError(`Could not load your records: ${inWords(e).text}.`);
      }
    };
    const addToFeed = async (n: PatientNotification) => {
      let item: FeedItem | undefined;
      if (n.type === 'emergency.requested') {
        const entry = await session.client
          .getState<EmergencyRequestEntry>(ckeys.request(n.txId))
          .then((r) => r.value)
          .catch(() => undefined);
        item = feedItemOf(n, entry);
      } else item = feedItemOf(n);
      if (item && !stop)
        setFeed((prev) => (prev.some((x) => x.key === item.key) ? prev : sortFeed([...prev, item])));
    };
    const refreshLog = coalesce(() => void loadLog(), 100);
    const refreshRecords = coalesce(() => void loadRecords(), 100);
    void loadLog();
    void loadRecords();
    // From the first block: the feed gets the history, then each notification as it happens.
    const sub = subscribeNotifications({
      baseUrl: window.location.origin,
      patientId: session.memberId,
      privateKey: session.pkcs8,
      since: 1,
      onNotification: (n) => {
        setLive('live');
        refreshLog();
        if (RECORD_EVENTS.has(n.type)) refreshRecords();
        void addToFeed(n);
      },
      onError: () => setLive('retrying'),
    });
    void sub.opened.then(
      () => !stop && setLive('live'),
      () => !stop && setLive('retrying'),
    );
    return () => {
      stop = true;
      refreshLog.cancel();
      refreshRecords.cancel();
      sub.close();
    };
  }, [records, session]);

  // Names of the members the page shows (their ledger entries are public; the patient is "you").
  useEffect(() => {
    const ids = new Set<string>();
    for (const i of timeline ?? []) {
      for (const x of [...(i.entry?.responsible ?? []), ...(i.signers ?? [])]) ids.add(x);
      for (const t of i.path ?? []) for (const x of [t.from, ...t.to]) ids.add(x);
    }
    for (const f of feed) if (f.kind === 'emergency') ids.add(f.requester);
    for (const e of log) {
      if (typeof e['requester'] === 'string') ids.add(e['requester']);
      const g = e['grantee'] as Grantee | undefined;
      if (g?.kind === 'member') ids.add(g.memberId);
    }
    const missing = [...ids].filter((id) => !names.has(id));
    if (missing.length === 0 && names.has(session.memberId)) return;
    let stop = false;
    void memberNames(session.client, missing, session.memberId).then(
      (m) => !stop && setNames((prev) => new Map([...prev, ...m])),
      () => undefined,
    );
    return () => {
      stop = true;
    };
  }, [timeline, feed, log, names, session]);

  const onErasure = (o: ErasureOutcome) => {
    if (!o.ok) setFeed((prev) => sortFeed([...prev, refusalItem(o, ++refusals.current)]));
  };

  const grants = useMemo(() => {
    const revoked = new Set(log.filter((e) => e.type === 'consent.revoked').map((e) => String(e['grantId'])));
    return log.filter((e) => e.type === 'consent.granted' && !revoked.has(String(e['grantId'])));
  }, [log]);
  const allReads = log.filter((e) => e.type === 'access.decided' || e.type === 'access.logged');
  // The patient's own reads (this page reading their records) are logged too; shown on demand.
  const mine = allReads.filter((e) => e['requester'] === session.memberId).length;
  const reads = allReads.filter((e) => ownReads || e['requester'] !== session.memberId).reverse();

  return (
    <section aria-labelledby="patient-title">
      <h2 id="patient-title">Your records and who reads them</h2>
      {waiting && (
        <p role="status" className="progress waiting">
          {waiting}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="patient-grid">
        <div className="card timeline-card" aria-labelledby="timeline-title">
          <h3 id="timeline-title">Your records</h3>
          {timelineError ? (
            <p role="alert" className="error">
              {timelineError}
            </p>
          ) : (
            <Timeline items={timeline} names={names} session={session} onErasure={onErasure} />
          )}
        </div>
        <div className="side">
          <Notifications items={feed} names={names} />
          <div className="card">
            <h3>Your consents</h3>
            {grants.length === 0 ? (
              <p className="muted">
                You have granted nothing: nobody outside your care team reads your records.
              </p>
            ) : (
              <ul className="grants">
                {grants.map((g) => (
                  <GrantItem key={String(g['grantId'])} g={g} records={records} names={names} />
                ))}
              </ul>
            )}
          </div>
        </div>
      </div>
      <ConsentForm records={records} onDone={() => undefined} />
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
    </section>
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
