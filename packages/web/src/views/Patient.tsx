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
import { useEffect, useMemo, useRef, useState } from 'react';
import { subscribeNotifications, type PatientNotification } from '@medledger/client';
import type { Grantee } from '@medledger/core';
import { ckeys } from '@medledger/core/contracts/confidentiality';
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
import { AccessLog } from './patient/AccessLog.js';
import { Consents, type Entry } from './patient/Consent.js';
import { ConsentForm } from './patient/ConsentForm.js';
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
import { inWords } from './patient/words.js';

/** Notifications that change the timeline. */
const RECORD_EVENTS = new Set(['record.written', 'record.transmitted', 'record.erased']);

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
      privateKey: session.signingKey,
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
          <Consents grants={grants} records={records} names={names} />
        </div>
      </div>
      <ConsentForm
        records={records}
        onDone={() => undefined}
        choices={(timeline ?? [])
          .filter((t) => t.erasedAt === undefined)
          .map((t) => ({ recordId: t.recordId, label: `${t.recordId} (${t.resourceType}, ${t.category})` }))}
      />
      <AccessLog log={log} live={live} self={session.memberId} names={names} />
    </section>
  );
}
