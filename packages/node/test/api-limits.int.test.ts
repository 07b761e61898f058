/**
 * What the API reads and how long it holds a connection (api/body.ts, api/wait.ts): invalid
 * UTF-8 is refused, not repaired; bodies have per-route limits; unauthenticated long waits are
 * capped and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_HEADER, MedledgerClient, signRequest } from '@medledger/client';
import { utf8 } from '@medledger/crypto';
import { BODY_LIMITS, RequestAuthenticator, buildServer } from '../src/index.js';
import { enrollAll, makeTestLedger, type TestLedger } from './helpers/ledger.js';

async function post(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

async function errorOf(res: Response): Promise<[number, string, string]> {
  const b = (await res.json()) as { code: string; message: string };
  return [res.status, b.code, b.message];
}

/** A revocation signed over a reason holding U+FFFD, sent with 0xFF in its place. */
function invalidUtf8Tx(t: TestLedger): { bytes: Uint8Array } {
  const tx = t.orgWallet('hospitalA').tx({
    chainId: t.node.chainId,
    type: 'registry.revoke',
    payload: { memberId: t.member('carol').memberId, reason: 'left \uFFFD' },
    createdAt: Date.now(),
  });
  const good = utf8(JSON.stringify(tx));
  const at = Buffer.from(good).indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
  assert.ok(at > 0);
  const bytes = new Uint8Array([...good.subarray(0, at), 0xff, ...good.subarray(at + 3)]);
  return { bytes };
}

test('security: a body with invalid UTF-8 is refused (400 INVALID_UTF8), a signed transaction too — never repaired to U+FFFD', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node);
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = t.node.status().height;
    const { bytes } = invalidUtf8Tx(t);
    const [status, code, message] = await errorOf(await post(`${url}/v1/txs?wait=2000`, bytes));
    assert.deepEqual([status, code], [400, 'INVALID_UTF8'], message);
    assert.match(message, /UTF-8/);
    const batch = new Uint8Array([...utf8('{"txs":["'), 0xc3, 0x28, ...utf8('"]}')]);
    assert.deepEqual((await errorOf(await post(`${url}/v1/txs/batch`, batch))).slice(0, 2), [
      400,
      'INVALID_UTF8',
    ]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(t.node.status().height, before, 'nothing committed');
    assert.equal(t.node.mempool.size, 0);
  } finally {
    await app.close();
    await t.cleanup();
  }
});

test('security: bodies have per-route limits — a transaction route takes no more than a transaction (413)', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node);
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const big = (n: number): Uint8Array => utf8(JSON.stringify({ pad: 'x'.repeat(n) }));
    for (const [path, limit] of [
      ['/v1/txs', BODY_LIMITS.tx],
      ['/v1/txs/batch', BODY_LIMITS.batch],
    ] as const) {
      const [status, code, message] = await errorOf(await post(`${url}${path}`, big(limit + 1)));
      assert.deepEqual([status, code], [413, 'MALFORMED_REQUEST'], `${path}: ${message}`);
    }
    assert.ok(BODY_LIMITS.tx < 300 * 1024, 'one transaction is at most 256 KB');
    // Just under the limit is read (and refused for what it is, not for its size).
    const [status, code] = await errorOf(await post(`${url}/v1/txs`, big(BODY_LIMITS.tx - 1024)));
    assert.deepEqual([status, code], [400, 'MALFORMED_TX']);
    // A route that says nothing takes the small default.
    const [s2] = await errorOf(await post(`${url}/v1/status`, big(BODY_LIMITS.default + 1)));
    assert.equal(s2, 413);
  } finally {
    await app.close();
    await t.cleanup();
  }
});

test('security: an unauthenticated ?wait= is capped at a few seconds and counted; a signed one may wait longer', async () => {
  const t = await makeTestLedger();
  const auth = new RequestAuthenticator(t.node, { waits: { unauthenticatedMs: 300, maxUnauthenticated: 2 } });
  const app = buildServer(t.node, { auth });
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const unknown = 'ab'.repeat(32); // never commits: every wait runs to its end
    const timed = async (headers: Record<string, string> = {}, wait = 60_000): Promise<[number, number]> => {
      const s = Date.now();
      const res = await fetch(`${url}/v1/txs/${unknown}/receipt?wait=${wait}`, { headers });
      await res.body?.cancel();
      return [res.status, Date.now() - s];
    };
    const [status, ms] = await timed();
    assert.equal(status, 404);
    assert.ok(ms >= 250 && ms < 3_000, `unauthenticated wait=60000 held ${ms} ms`);
    // At most 2 unauthenticated waits at once: a third is answered at once.
    const three = await Promise.all([timed(), timed(), timed()]);
    const quick = three.filter(([, d]) => d < 200).length;
    assert.ok(
      quick >= 1,
      `one of three concurrent waits is not held (${three.map((x) => x[1]).join(', ')} ms)`,
    );
    const stats = (await (await fetch(`${url}/v1/status`)).json()) as {
      unauthenticatedWaits: { waiting: number; shortened: number; refused: number };
    };
    assert.equal(stats.unauthenticatedWaits.waiting, 0);
    assert.ok(stats.unauthenticatedWaits.shortened >= 3);
    assert.ok(stats.unauthenticatedWaits.refused >= 1);
    // A member's signed request waits as long as asked (here 1 s > the 300 ms cap).
    const alice = t.member('alice');
    const path = `/v1/txs/${unknown}/receipt?wait=1000`;
    const header = signRequest({
      audience: { chainId: t.node.chainId, node: t.node.org },
      signerId: alice.memberId,
      privateKey: alice.keys.privateKey,
      method: 'GET',
      path,
      ts: Date.now(),
    });
    const [s3, d3] = await timed({ [AUTH_HEADER]: header }, 1000);
    assert.equal(s3, 404);
    assert.ok(d3 >= 900, `signed wait held ${d3} ms`);
    // A bad credential on a wait is refused, not downgraded.
    const [s4] = await timed({ [AUTH_HEADER]: header }, 1000);
    assert.equal(s4, 401, 'replayed header');
    // The client keeps asking for the receipt past the node's cap.
    const client = new MedledgerClient(url);
    const tx = t.wallet('alice').tx({
      chainId: t.node.chainId,
      type: 'record.anchor',
      payload: { recordId: 'w-1', hash: 'cd'.repeat(32) },
      createdAt: Date.now(),
    });
    assert.equal((await client.submitAndWait(tx, 10_000)).code, 'OK');
  } finally {
    await app.close();
    await t.cleanup();
  }
});
