/**
 * Notifications survive the hub being down or failing: the hub follows the node's durable feed
 * of committed blocks from the cursor it stores with its notifications, so events committed
 * while it was not running, or while it could not store, reach the patient once it runs —
 * exactly once, in the store, over SSE replay and to webhooks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PatientNotification, WebhookDelivery } from '@medledger/client';
import { NotificationHub, NotificationStore } from '../src/index.js';
import { notifyWorld, until, webhookServer } from './notify-fixture.js';

test('notifications: events committed while the hub was down are notified when it starts — each exactly once, to the store and the webhook', async () => {
  const w = await notifyWorld();
  const hook = await webhookServer(() => 200);
  try {
    w.hub.addWebhook(w.patientId, hook.url);
    await w.stopHub();
    // While the hub is down: a grant, an access request on the patient's record, a revocation.
    const g = await w.grant('g-down');
    const r = await w.request('lab-1');
    const rv = await w.run('pat', 'consent.revoke', { grantId: 'g-down' });
    const want = [
      ['consent.granted', g.txId],
      ['access.decided', r.txId],
      ['consent.revoked', rv.txId],
    ];
    w.startHub();
    await w.hub.synced();
    const replayed = w.hub.store.replay(w.patientId, { since: g.height }).notifications;
    assert.deepEqual(
      replayed.map((n) => [n.type, n.txId]),
      want,
    );
    await until(() => hook.calls.length >= 3, 5000, 'webhook deliveries');
    await new Promise((res) => setTimeout(res, 100));
    const delivered = hook.calls.map((c) => (JSON.parse(c.body.toString()) as WebhookDelivery).notification);
    assert.deepEqual(
      delivered.map((n) => [n.type, n.txId]),
      want,
      'one delivery per notification',
    );

    // A hub whose cursor is behind (as after a crash before it stored its cursor) replays the
    // blocks and adds nothing twice: no second notification, no second webhook delivery.
    await w.stopHub();
    const raw = new NotificationStore(join(w.t.dir, 'notify.sqlite'));
    raw.db.prepare("UPDATE meta SET v = '0' WHERE k = 'feedHeight'").run();
    raw.close();
    w.startHub();
    await w.hub.synced();
    assert.deepEqual(
      w.hub.store.replay(w.patientId, { since: g.height }).notifications.map((n) => n.id),
      replayed.map((n) => n.id),
    );
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(hook.calls.length, 3);
  } finally {
    await hook.close();
    await w.close();
  }
});

test('notifications: a block the hub fails to store is retried; the live subscriber is told once, after it is stored', async () => {
  const w = await notifyWorld();
  await w.stopHub();
  // A store that fails once, as a full disk would.
  class FailingOnce extends NotificationStore {
    failures = 1;
    override add(ns: readonly PatientNotification[], now: number, height?: number): PatientNotification[] {
      if (ns.length > 0 && this.failures-- > 0) throw new Error('SQLITE_FULL: database or disk is full');
      return super.add(ns, now, height);
    }
  }
  const store = new FailingOnce(join(w.t.dir, 'notify.sqlite'));
  const errors: string[] = [];
  const hub = new NotificationHub(w.t.node, {
    store,
    org: 'hospitalA',
    nodeKey: w.t.consortium.orgs.get('hospitalA')!.node.privateKey,
    onError: (e) => errors.push(e.message),
  });
  try {
    await hub.synced();
    const got: PatientNotification[] = [];
    hub.subscribe(w.patientId, (n) => {
      assert.ok(
        hub.store.replay(w.patientId, { since: 0 }).notifications.some((x) => x.id === n.id),
        'stored first',
      );
      got.push(n);
    });
    const g = await w.grant('g-retry');
    await until(() => got.length > 0, 5000, 'the retried notification');
    await hub.synced();
    await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(
      got.map((n) => [n.type, n.txId]),
      [['consent.granted', g.txId]],
    );
    assert.deepEqual(errors, ['SQLITE_FULL: database or disk is full']);
    assert.equal(store.feedHeight(), w.t.node.head().height);
  } finally {
    await hub.close();
    w.startHub(); // the fixture closes a hub of its own
    await w.close();
  }
});

test('notifications: a store written before the hub followed the feed resumes after the last block it notified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-notify-'));
  const store = new NotificationStore(join(dir, 'notify.sqlite'));
  try {
    assert.equal(store.feedHeight(), 0);
    const txId = 'a'.repeat(64);
    store.add([{ id: `${txId}:0`, type: 'consent.revoked', patient: 'b'.repeat(64), height: 7, txId }], 1);
    assert.equal(store.feedHeight(), 7, 'no cursor yet: after the newest notification');
    store.add([], 2, 9);
    assert.equal(store.feedHeight(), 9, 'the cursor, once stored');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
