/**
 * Webhook destinations (notify/outbound.ts): by default a node refuses loopback, private,
 * link-local and metadata addresses — at registration for IP literals and `localhost`, and
 * for every address a host name resolves to at each delivery; the connection goes to the
 * checked address. An allow list opens chosen addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerWebhook } from '@medledger/client';
import { checkedLookup, outboundAddressCheck, outboundPost } from '../src/notify/outbound.js';
import { notifyWorld, until, webhookServer } from './notify-fixture.js';

test('ssrf: loopback, private, link-local, metadata and embedded-IPv4 addresses are denied by default', () => {
  const check = outboundAddressCheck();
  for (const ip of [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
  ])
    assert.match(check(ip) ?? 'allowed', /loopback, private/, ip);
  for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])
    assert.equal(check(ip), undefined, ip);
  const allowing = outboundAddressCheck({ allow: ['127.0.0.1', '10.0.0.0/8'] });
  assert.equal(allowing('127.0.0.1'), undefined);
  assert.equal(allowing('::ffff:127.0.0.1'), undefined, 'the mapped form of an allowed address');
  assert.equal(allowing('10.200.0.1'), undefined);
  assert.match(allowing('127.0.0.2') ?? 'allowed', /loopback/);
  assert.throws(() => outboundAddressCheck({ allow: ['not-an-ip'] }), /not an address/);
});

test('ssrf: a patient cannot register a webhook to the node itself or the metadata service', async () => {
  const w = await notifyWorld({ hub: { outbound: {} } }); // no allow list: the default
  const hook = await webhookServer(() => 200);
  try {
    const p = { baseUrl: w.baseUrl, patientId: w.patientId, privateKey: w.patientKey };
    for (const url of [
      hook.url,
      'http://localhost:1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:80/',
      'http://[::ffff:7f00:1]/',
      'http://10.0.0.7/',
      'http://0x7f000001/', // WHATWG URL parsing turns this into 127.0.0.1
    ])
      await assert.rejects(
        registerWebhook({ ...p, url }),
        (e: { status?: number; code?: string; message?: string }) =>
          e.status === 400 && e.code === 'MALFORMED_REQUEST' && /does not deliver/.test(e.message ?? ''),
        url,
      );
    assert.equal(hook.calls.length, 0);
  } finally {
    await hook.close();
    await w.close();
  }
});

test('ssrf: a host name is checked after DNS resolution and the socket connects to the checked address', async () => {
  const hook = await webhookServer(() => 200);
  try {
    const port = new URL(hook.url).port;
    const body = '{}';
    const headers = { 'content-type': 'application/json' };
    // `localhost` resolves to loopback: refused after the lookup, nothing is sent.
    await assert.rejects(
      outboundPost(`http://localhost:${port}/hook`, { headers, body, signal: AbortSignal.timeout(5000) }),
      (e: { code?: string }) => e.code === 'OUTBOUND_DENIED',
    );
    assert.equal(hook.calls.length, 0);
    const lookedUp = await new Promise<string>((resolve, reject) =>
      checkedLookup({ allow: ['127.0.0.1', '::1'] })('localhost', { all: true }, (err, addrs) =>
        err ? reject(err) : resolve(JSON.stringify(addrs)),
      ),
    );
    assert.match(lookedUp, /127\.0\.0\.1|::1/);
    // Allowed explicitly: delivered.
    const status = await outboundPost(`http://localhost:${port}/hook`, {
      headers,
      body,
      signal: AbortSignal.timeout(5000),
      policy: { allow: ['127.0.0.1', '::1'] },
    });
    assert.equal(status, 200);
    assert.equal(hook.calls.length, 1);
  } finally {
    await hook.close();
  }
});

test('ssrf: a webhook stored before the policy changed is not delivered to a denied address', async () => {
  const w = await notifyWorld({
    hub: { retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 2000 } },
  });
  const hook = await webhookServer(() => 200);
  try {
    const { id } = w.hub.addWebhook(w.patientId, hook.url); // allowed: the fixture opts in to 127.0.0.1
    await w.restartHubWith({ outbound: {} }); // the node's configuration drops the allow list
    await w.grant('g-ssrf');
    await until(() => (w.hub.deadLetters(w.patientId, id)?.length ?? 0) === 1, 5000, 'dead-lettered');
    assert.match(w.hub.deadLetters(w.patientId, id)![0]!.lastError ?? '', /destination refused/);
    assert.equal(hook.calls.length, 0, 'nothing reached the loopback receiver');
  } finally {
    await hook.close();
    await w.close();
  }
});
