/**
 * Patient notifications by webhook (issue 3 §7): signed by the node key, retried with
 * exponential backoff, ordered per webhook, dead-lettered after the last attempt, persisted
 * across a restart — against a real node on a real SQLite ledger and real local endpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WEBHOOK_SIGNATURE_HEADER,
  deleteWebhook,
  listWebhooks,
  registerWebhook,
  signRequest,
  verifyWebhookSignature,
  type WebhookDelivery,
} from '@medledger/client';
import { backoffDelay, DEFAULT_RETRY } from '../src/notify/webhooks.js';
import { notifyWorld, until, webhookServer } from './notify-fixture.js';

const FAST = { baseDelayMs: 40, maxDelayMs: 400, timeoutMs: 2000 };

test('webhook: an endpoint failing 3 times gets the event on the 4th attempt, signed by the node key', async () => {
  const w = await notifyWorld({ hub: { retry: FAST } });
  const hook = await webhookServer((n) => (n <= 3 ? 503 : 200));
  try {
    const p = { baseUrl: w.baseUrl, patientId: w.patientId, privateKey: w.patientKey };
    const info = await registerWebhook({ ...p, url: hook.url });
    assert.equal(info.url, hook.url);
    const g = await w.grant('g-hook');
    await until(() => hook.calls.length === 4, 5000, '4 attempts');
    assert.deepEqual(
      hook.calls.map((c) => [c.status, c.headers['x-medledger-attempt']]),
      [
        [503, '1'],
        [503, '2'],
        [503, '3'],
        [200, '4'],
      ],
    );
    const gaps = hook.calls.slice(1).map((c, i) => c.at - hook.calls[i]!.at);
    assert.ok(gaps[2]! > gaps[0]! / 2, `backoff grows: ${gaps.join(', ')} ms`);
    const last = hook.calls[3]!;
    const v = verifyWebhookSignature({
      body: last.body,
      signature: last.headers[WEBHOOK_SIGNATURE_HEADER] as string,
      genesis: w.t.node.genesis,
    });
    assert.ok(v.ok, v.ok ? '' : v.reason);
    assert.equal(v.org, 'hospitalA');
    assert.equal(v.delivery.webhookId, info.id);
    assert.equal(v.delivery.notification.type, 'consent.granted');
    assert.equal(v.delivery.notification.txId, g.txId);
    assert.equal(v.delivery.notification.id, `${g.txId}:0`);
    // Every attempt carries the same body: receivers dedupe on notification.id.
    assert.ok(hook.calls.every((c) => c.body.equals(last.body)));
    await until(() => w.hub.listWebhooks(w.patientId)[0]?.pending === 0, 2000, 'queue empty');

    // Tampered body, wrong org, signature of another body, missing header: all refused.
    const tampered = Buffer.from(last.body.toString().replace('consent.granted', 'consent.revoked'));
    const sig = last.headers[WEBHOOK_SIGNATURE_HEADER] as string;
    const genesis = w.t.node.genesis;
    assert.equal(verifyWebhookSignature({ body: tampered, signature: sig, genesis }).ok, false);
    assert.equal(
      verifyWebhookSignature({ body: last.body, signature: sig, genesis, org: 'hospitalB' }).ok,
      false,
    );
    assert.equal(
      verifyWebhookSignature({ body: last.body, signature: sig.replace('hospitalA', 'hospitalB'), genesis })
        .ok,
      false,
      'hospitalB’s node key does not verify hospitalA’s signature',
    );
    assert.equal(verifyWebhookSignature({ body: last.body, signature: undefined, genesis }).ok, false);
  } finally {
    await hook.close();
    await w.close();
  }
});

test('webhook: an always-failing endpoint ends in dead-letter after the bounded attempts and does not slow commits', async () => {
  const attempts = 3;
  const n = 4;
  const holdMs = 400;
  const w = await notifyWorld({ hub: { retry: { ...FAST, maxAttempts: attempts } } });
  // Each failure also holds the connection: a commit that waited for it would take ≥ holdMs.
  const hook = await webhookServer(() => ({ status: 500, delayMs: holdMs }));
  try {
    const p = { baseUrl: w.baseUrl, patientId: w.patientId, privateKey: w.patientKey };
    const { id } = await registerWebhook({ ...p, url: hook.url });
    const commitMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      await w.grant(`g-${i}`);
      commitMs.push(Date.now() - t0);
    }
    commitMs.sort((a, b) => a - b);
    console.log(
      `# commit latency with a failing webhook (ms): p50 ${commitMs[n >> 1]}, max ${commitMs[n - 1]}`,
    );
    assert.ok(commitMs[n - 1]! < holdMs, `a commit never waits for a webhook (max ${commitMs[n - 1]} ms)`);

    await until(() => w.hub.listWebhooks(w.patientId)[0]?.deadLetters === n, 20_000, 'all dead-lettered');
    const [info] = await listWebhooks(p);
    assert.equal(info!.pending, 0);
    assert.equal(info!.deadLetters, n);
    assert.equal(info!.lastError, 'HTTP 500');
    assert.equal(hook.calls.length, n * attempts, 'exactly the bounded number of attempts each');
    // Per-webhook order: each delivery's attempts all come before the next delivery's first.
    const order = hook.calls.map((c) => (JSON.parse(c.body.toString()) as WebhookDelivery).notification.txId);
    for (let i = 0; i < n; i++) assert.equal(new Set(order.slice(i * attempts, (i + 1) * attempts)).size, 1);
    const dead = w.hub.deadLetters(w.patientId, id)!;
    assert.deepEqual(
      dead.map((d) => d.delivery.notification.grantId),
      Array.from({ length: n }, (_, i) => `g-${i}`),
    );
    assert.ok(dead.every((d) => d.attempts === attempts));
  } finally {
    await hook.close();
    await w.close();
  }
});

test('webhook: pending deliveries survive a restart of the hub (SQLite)', async () => {
  const w = await notifyWorld({ hub: { retry: { ...FAST, baseDelayMs: 200 } } });
  let up = false;
  const hook = await webhookServer(() => (up ? 200 : 503));
  try {
    w.hub.addWebhook(w.patientId, hook.url);
    const g = await w.grant('g-restart');
    await until(() => hook.calls.length >= 1, 3000, 'first attempt');
    await w.restartHub();
    assert.equal(w.hub.listWebhooks(w.patientId)[0]?.pending, 1, 'still queued after restart');
    up = true;
    await until(() => hook.calls.some((c) => c.status === 200), 5000, 'delivered after restart');
    const ok = hook.calls.find((c) => c.status === 200)!;
    assert.equal((JSON.parse(ok.body.toString()) as WebhookDelivery).notification.txId, g.txId);
    await until(() => w.hub.listWebhooks(w.patientId)[0]?.pending === 0, 2000, 'queue empty');
  } finally {
    await hook.close();
    await w.close();
  }
});

test('security: webhooks are managed by the patient only; only http(s) URLs; DELETE stops delivery', async () => {
  const w = await notifyWorld({ hub: { retry: FAST } });
  const hook = await webhookServer(() => 200);
  try {
    const p = { baseUrl: w.baseUrl, patientId: w.patientId, privateKey: w.patientKey };
    const doc = w.t.member('doc');
    // The doctor, signing as themself, is refused on the patient's webhooks (403).
    const hooks = `/v1/patients/${w.patientId}/webhooks`;
    assert.equal(
      await signedFetch(w, doc.memberId, doc.keys.privateKey, 'POST', hooks, { url: hook.url }),
      403,
    );
    assert.equal(await signedFetch(w, doc.memberId, doc.keys.privateKey, 'GET', hooks), 403);
    assert.equal(await signedFetch(w, w.patientId, w.patientKey, 'GET', hooks), 200);
    for (const url of ['ftp://127.0.0.1/x', 'file:///etc/passwd', 'http://user:pw@127.0.0.1/', 'not a url'])
      await assert.rejects(registerWebhook({ ...p, url }), (e: { status?: number }) => e.status === 400, url);
    const { id } = await registerWebhook({ ...p, url: hook.url });
    assert.equal((await listWebhooks(p)).length, 1);
    await deleteWebhook({ ...p, webhookId: id });
    assert.equal((await listWebhooks(p)).length, 0);
    await w.grant('g-after-delete');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hook.calls.length, 0, 'no delivery to a deleted webhook');
    await assert.rejects(
      deleteWebhook({ ...p, webhookId: id }),
      (e: { status?: number }) => e.status === 404,
    );
  } finally {
    await hook.close();
    await w.close();
  }
});

test('backoff: exponential with equal jitter, capped', () => {
  const p = { ...DEFAULT_RETRY, baseDelayMs: 1000, maxDelayMs: 8000 };
  assert.equal(
    backoffDelay(1, p, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(1, p, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(3, p, () => 1),
    4000,
  );
  assert.equal(
    backoffDelay(10, p, () => 1),
    8000,
    'capped',
  );
  assert.equal(
    backoffDelay(10, p, () => 0),
    4000,
    'never below half the cap',
  );
});

async function signedFetch(
  w: Awaited<ReturnType<typeof notifyWorld>>,
  signerId: string,
  key: Uint8Array,
  method: string,
  path: string,
  json?: unknown,
): Promise<number> {
  const body = json === undefined ? undefined : new TextEncoder().encode(JSON.stringify(json));
  const auth = signRequest({
    audience: { chainId: w.t.node.chainId, node: w.t.node.org },
    signerId,
    privateKey: key,
    method,
    path,
    ts: Date.now(),
    ...(body ? { body } : {}),
  });
  const res = await fetch(`${w.baseUrl}${path}`, {
    method,
    headers: { 'x-medledger-auth': auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}
