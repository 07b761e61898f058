/**
 * Patient notifications over server-sent events (issue 3 §7), against a real node on a real
 * SQLite ledger and a real HTTP port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUTH_HEADER,
  SseParser,
  eventStreamUrl,
  signRequest,
  subscribeNotifications,
  type PatientNotification,
} from '@medledger/client';
import { notifyWorld, until } from './notify-fixture.js';

test('sse: the patient is notified within a short time of a grant and of an access request on their record', async () => {
  const w = await notifyWorld();
  try {
    const got: { n: PatientNotification; t: number }[] = [];
    const sub = subscribeNotifications({
      baseUrl: w.baseUrl,
      patientId: w.patientId,
      privateKey: w.patientKey,
      onNotification: (n) => got.push({ n, t: Date.now() }),
    });
    await sub.opened;
    await until(() => w.hub.subscriberCount(w.patientId) === 1, 2000, 'subscription');

    const g = await w.grant('g-doc');
    const tGrant = Date.now();
    await until(() => got.some((x) => x.n.type === 'consent.granted'), 2000, 'consent.granted');
    const granted = got.find((x) => x.n.type === 'consent.granted')!;
    assert.equal(granted.n.txId, g.txId);
    assert.equal(granted.n.id, `${g.txId}:0`);
    assert.equal(granted.n.height, g.height);
    assert.equal(granted.n.grantId, 'g-doc');
    assert.equal(typeof granted.n.at, 'number', 'block time');

    const r = await w.request('lab-1');
    const tReq = Date.now();
    await until(() => got.some((x) => x.n.type === 'access.decided'), 2000, 'access.decided');
    const decided = got.find((x) => x.n.type === 'access.decided')!;
    assert.equal(decided.n.txId, r.txId);
    assert.equal(decided.n.requester, w.otherId);
    assert.equal(decided.n.recordId, 'lab-1');
    assert.equal(decided.n.allow, true);
    assert.equal(decided.n.grantId, 'g-doc');
    assert.equal(decided.n.basis, 'grant');
    assert.ok(!('commitment' in decided.n) && !('resource' in decided.n), 'never record contents');
    const lat = [granted.t - tGrant, decided.t - tReq];
    console.log(`# sse latency after receipt (ms): grant ${lat[0]}, access.request ${lat[1]}`);
    for (const l of lat) assert.ok(l < 1000, `notified ${l} ms after the receipt`);

    sub.close();
    await sub.done;
    await until(() => w.hub.subscriberCount(w.patientId) === 0, 2000, 'cleanup on disconnect');
  } finally {
    await w.close();
  }
});

test('security: another member cannot subscribe to the patient’s stream (403); unsigned is 401', async () => {
  const w = await notifyWorld();
  try {
    const path = `/v1/patients/${w.patientId}/events`;
    const doc = w.t.member('doc');
    const auth = signRequest({
      audience: { chainId: w.t.node.chainId, node: w.t.node.org },
      signerId: doc.memberId,
      privateKey: doc.keys.privateKey,
      method: 'GET',
      path,
      ts: Date.now(),
    });
    const res = await fetch(`${w.baseUrl}${path}`, { headers: { [AUTH_HEADER]: auth } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'FORBIDDEN');
    const anon = await fetch(`${w.baseUrl}${path}`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    // A signature for another path (the doctor's own stream) does not open the patient's.
    const own = signRequest({
      audience: { chainId: w.t.node.chainId, node: w.t.node.org },
      signerId: w.patientId,
      privateKey: w.patientKey,
      method: 'GET',
      path: `/v1/patients/${doc.memberId}/events`,
      ts: Date.now(),
    });
    const wrong = await fetch(`${w.baseUrl}${path}`, { headers: { [AUTH_HEADER]: own } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    // The SDK reports the refusal: `opened` rejects and the subscription ends.
    const sub = subscribeNotifications({
      baseUrl: w.baseUrl,
      patientId: w.patientId,
      privateKey: doc.keys.privateKey,
      onNotification: () => assert.fail('no notification for another member'),
    });
    await assert.rejects(sub.opened, /HTTP 401/);
    await sub.done;
    assert.equal(w.hub.subscriberCount(w.patientId), 0);
  } finally {
    await w.close();
  }
});

test('sse: resume with Last-Event-ID delivers exactly what was missed, in order', async () => {
  const w = await notifyWorld();
  try {
    const first: PatientNotification[] = [];
    const sub = subscribeNotifications({
      baseUrl: w.baseUrl,
      patientId: w.patientId,
      privateKey: w.patientKey,
      onNotification: (n) => first.push(n),
    });
    await sub.opened;
    await w.grant('g-1');
    await until(() => first.length === 1, 2000, 'first grant');
    const lastSeen = sub.lastEventId;
    assert.equal(lastSeen, first[0]!.id);
    sub.close();
    await sub.done;
    await until(() => w.hub.subscriberCount(w.patientId) === 0, 2000, 'disconnect');

    // While disconnected: a request (access.decided) and a revocation.
    const r = await w.request('lab-1');
    const rv = await w.run('pat', 'consent.revoke', { grantId: 'g-1' });

    const missed: PatientNotification[] = [];
    const again = subscribeNotifications({
      baseUrl: w.baseUrl,
      patientId: w.patientId,
      privateKey: w.patientKey,
      lastEventId: lastSeen!,
      onNotification: (n) => missed.push(n),
    });
    await again.opened;
    await until(() => missed.length >= 2, 2000, 'replay');
    await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(
      missed.map((n) => [n.type, n.txId]),
      [
        ['access.decided', r.txId],
        ['consent.revoked', rv.txId],
      ],
    );
    // ... and live events continue on the same stream.
    await w.grant('g-2');
    await until(() => missed.length === 3, 2000, 'live after replay');
    assert.equal(missed[2]!.type, 'consent.granted');
    again.close();
    await again.done;

    // ?since=<height> replays from a block height; an unknown event id yields a gap notice.
    const raw = await readStream(w, `?since=${r.height}`, 300);
    assert.deepEqual(
      raw
        .filter((m) => m.event === 'notification')
        .map((m) => (JSON.parse(m.data) as PatientNotification).txId),
      [r.txId, rv.txId, missed[2]!.txId],
    );
    const gap = await readStream(w, '', 300, `${'0'.repeat(64)}:0`);
    assert.equal(gap[0]?.event, 'gap');
  } finally {
    await w.close();
  }
});

test('sse: heartbeats are comment lines; a slow or gone client is cleaned up', async () => {
  const w = await notifyWorld({ routes: { heartbeatMs: 50 } });
  try {
    const path = `/v1/patients/${w.patientId}/events`;
    const auth = signRequest({
      audience: { chainId: w.t.node.chainId, node: w.t.node.org },
      signerId: w.patientId,
      privateKey: w.patientKey,
      method: 'GET',
      path,
      ts: Date.now(),
    });
    const ctrl = new AbortController();
    const res = await fetch(`${w.baseUrl}${path}`, { signal: ctrl.signal, headers: { [AUTH_HEADER]: auth } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    let text = '';
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    while ((text.match(/: heartbeat/g) ?? []).length < 2) text += dec.decode((await reader.read()).value);
    assert.equal(new SseParser().push(text).length, 0, 'heartbeats are not messages');
    // Reusing the same signed request is refused (replay check), so reconnects must re-sign.
    const replayed = await fetch(`${w.baseUrl}${path}`, { headers: { [AUTH_HEADER]: auth } });
    assert.equal(replayed.status, 401);
    await replayed.body?.cancel();
    ctrl.abort();
    await until(() => w.hub.subscriberCount(w.patientId) === 0, 2000, 'cleanup after abort');
  } finally {
    await w.close();
  }
});

/** Opens the stream with a fresh signature, reads for `ms`, returns the parsed messages. */
async function readStream(
  w: Awaited<ReturnType<typeof notifyWorld>>,
  query: string,
  ms: number,
  lastEventId?: string,
): Promise<{ id?: string; event: string; data: string }[]> {
  const path = `/v1/patients/${w.patientId}/events${query}`;
  const auth = signRequest({
    audience: { chainId: w.t.node.chainId, node: w.t.node.org },
    signerId: w.patientId,
    privateKey: w.patientKey,
    method: 'GET',
    path,
    ts: Date.now(),
  });
  const ctrl = new AbortController();
  const res = await fetch(`${w.baseUrl}${path}`, {
    signal: ctrl.signal,
    headers: { [AUTH_HEADER]: auth, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
  });
  assert.equal(res.status, 200);
  const parser = new SseParser();
  const out: { id?: string; event: string; data: string }[] = [];
  const timer = setTimeout(() => ctrl.abort(), ms);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      out.push(...parser.push(new TextDecoder().decode(chunk)));
  } catch {
    /* aborted */
  }
  clearTimeout(timer);
  return out;
}

test('security: no credential in URLs — ?auth= is refused; a browser opens the stream with a single-use ticket', async () => {
  const w = await notifyWorld();
  try {
    const path = `/v1/patients/${w.patientId}/events`;
    const auth = signRequest({
      audience: { chainId: w.t.node.chainId, node: w.t.node.org },
      signerId: w.patientId,
      privateKey: w.patientKey,
      method: 'GET',
      path,
      ts: Date.now(),
    });
    const inUrl = await fetch(`${w.baseUrl}${path}?auth=${auth}`);
    assert.equal(inUrl.status, 400, 'a signed request in the URL is not accepted');
    assert.match(((await inUrl.json()) as { message: string }).message, /credentials in URLs/);
    // EventSource cannot set headers: a ticket from a signed POST opens one stream, once.
    const url = await eventStreamUrl({
      baseUrl: w.baseUrl,
      patientId: w.patientId,
      privateKey: w.patientKey,
    });
    assert.match(url, /\?ticket=[0-9a-f]{64}$/);
    const ctrl = new AbortController();
    const res = await fetch(url, { signal: ctrl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const again = await fetch(url);
    assert.equal(again.status, 401, 'a ticket opens one stream only');
    assert.equal(((await again.json()) as { code: string }).code, 'AUTH_TICKET');
    ctrl.abort();
    // A ticket is for the patient who asked for it.
    const doc = w.t.member('doc');
    const other = await eventStreamUrl({
      baseUrl: w.baseUrl,
      patientId: doc.memberId,
      privateKey: doc.keys.privateKey,
    });
    const cross = await fetch(other.replace(doc.memberId, w.patientId));
    assert.equal(cross.status, 403);
    await cross.body?.cancel();
    const unknown = await fetch(`${w.baseUrl}${path}?ticket=${'0'.repeat(64)}`);
    assert.equal(unknown.status, 401);
    await unknown.body?.cancel();
  } finally {
    await w.close();
  }
});
