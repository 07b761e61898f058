/**
 * The server takes every route's shape from the route table (api/contract.ts): malformed
 * parameters, queries and bodies are refused with 400 MALFORMED_REQUEST naming the field and
 * change nothing; a signed route authenticates before it looks at the body; a route that is
 * not in the table cannot be registered; an answer that does not match the table is not sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API, AUTH_HEADER, MedledgerClient } from '@medledger/client';
import { buildServer, serve } from '../src/index.js';
import { enrollAll, makeTestLedger } from './helpers/ledger.js';

async function errorOf(res: Response): Promise<[number, string, string]> {
  const b = (await res.json()) as { code: string; message: string };
  return [res.status, b.code, b.message];
}

test('behavior: malformed query, parameters and bodies get 400 MALFORMED_REQUEST naming the field, and change nothing', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node);
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = t.node.status().height;
    const post = (path: string, body: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const cases: [Promise<Response>, RegExp][] = [
      [post('/v1/txs/batch', '{"txs":5}'), /body\/txs must be array/],
      [post('/v1/txs/batch', '{"tx":[]}'), /body must have required property 'txs'/],
      [post('/v1/txs/batch', '[]'), /body must be object/],
      [post('/v1/txs?wait=soon', '{}'), /querystring\/wait must match pattern/],
      [fetch(`${url}/v1/txs/abc/receipt?wait=-1`), /querystring\/wait must match pattern/],
    ];
    for (const [res, message] of cases) {
      const [status, code, m] = await errorOf(await res);
      assert.deepEqual([status, code], [400, 'MALFORMED_REQUEST'], m);
      assert.match(m, message);
    }
    assert.equal(t.node.status().height, before);
    assert.equal(t.node.mempool.size, 0, 'nothing reached the mempool');
  } finally {
    await app.close();
    await t.cleanup();
  }
});

test('security: a signed route authenticates before it validates: an unsigned malformed body gets 401, not a description of the shape', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node, {
    plugins: [(a) => serve(a, API.orgServices.depositHeKey, async () => ({ patient: 'x', held: true }))],
  });
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const send = (headers: Record<string, string>) =>
      fetch(`${url}/v1/services/he-custody`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"sealed":"not an envelope"}',
      });
    assert.deepEqual((await errorOf(await send({}))).slice(0, 2), [401, 'UNAUTHENTICATED']);
    assert.deepEqual((await errorOf(await send({ [AUTH_HEADER]: 'x' }))).slice(0, 2), [
      401,
      'AUTH_MALFORMED',
    ]);
    // Signed by a member: now the body is looked at, and refused with the field named.
    const alice = t.member('alice');
    const api = new MedledgerClient(url, { signerId: alice.memberId, privateKey: alice.keys.privateKey });
    const e = await api.api
      .call(API.orgServices.depositHeKey, { body: { sealed: 'not an envelope' as never } })
      .then(
        () => assert.fail('must be refused'),
        (x: unknown) => x as { status: number; code: string; message: string },
      );
    assert.deepEqual([e.status, e.code], [400, 'MALFORMED_REQUEST']);
    assert.match(e.message, /body\/sealed must be object/);
  } finally {
    await app.close();
    await t.cleanup();
  }
});

test('api: a route that is not in the table cannot be registered', async () => {
  const t = await makeTestLedger();
  try {
    assert.throws(
      () => buildServer(t.node, { plugins: [(a) => void a.get('/v1/secret-extra', async () => ({}))] }),
      /GET \/v1\/secret-extra is not in the API table/,
    );
  } finally {
    await t.cleanup();
  }
});

test('api: an answer that does not match the table is refused (500 RESPONSE_INVALID naming the field), not sent', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node, {
    plugins: [
      (a) =>
        serve(a, API.ledger.checkpoints, async () => ({ checkpoints: [{ height: 'one', signatures: [] }] })),
    ],
  });
  const lenient = buildServer(t.node, {
    validateResponses: false,
    plugins: [
      (a) =>
        serve(a, API.ledger.checkpoints, async () => ({ checkpoints: [{ height: 'one', signatures: [] }] })),
    ],
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/v1/checkpoints?from=1' });
    const body = res.json<{ code: string; message: string }>();
    assert.deepEqual([res.statusCode, body.code], [500, 'RESPONSE_INVALID']);
    assert.match(body.message, /GET \/v1\/checkpoints .*\/checkpoints\/0\/height/);
    assert.doesNotMatch(res.body, /one/, 'the wrong answer is not sent');
    const off = await lenient.inject({ method: 'GET', url: '/v1/checkpoints?from=1' });
    assert.equal(off.statusCode, 200, 'validateResponses: false sends it');
  } finally {
    await app.close();
    await lenient.close();
    await t.cleanup();
  }
});
