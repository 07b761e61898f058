/**
 * The client's one fetch path (api/call.ts) against a real HTTP server: the URL it builds from
 * the route table, the signature it puts on the routes that need one (over the exact body
 * bytes it sends), and how it decodes the node's `{ code, message }` errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateP256KeyPair, importP256PublicKey, fromB64u, verifyP256 } from '@medledger/crypto';
import {
  API,
  AUTH_HEADER,
  ApiClient,
  MedledgerError,
  MedledgerHttpError,
  pathOf,
  requestSigningBytes,
  type ArgsOf,
} from '../src/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const AUDIENCE = { chainId: 'c'.repeat(64), node: 'hospitalA' };

/** A server that records each request and answers what `answer` says. */
async function serverThat(
  answer: (s: Seen) => { status: number; body: string; type?: string },
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

test('api: pathOf substitutes and URI-encodes path parameters, appends the query, and refuses a missing parameter', () => {
  assert.equal(pathOf(API.ledger.getState, { key: 'member:a/b?c' }), '/v1/state/member%3Aa%2Fb%3Fc');
  assert.equal(pathOf(API.fl.round, { id: 'study 1', r: '2' }), '/v1/fl/studies/study%201/rounds/2');
  assert.equal(
    pathOf(API.ledger.checkpoints, undefined, { from: '1', to: '9', skip: undefined }),
    '/v1/checkpoints?from=1&to=9',
  );
  assert.throws(() => pathOf(API.fl.round, { id: 'x' }), /missing path parameter r/);
});

test('api: a call sends the route’s method, path and JSON body, and answers the decoded body', async () => {
  const s = await serverThat(() => ({ status: 202, body: '{"txId":"t1","status":"pending"}' }));
  try {
    const api = new ApiClient(`${s.url}/`);
    const tx = {
      body: { chainId: 'c', type: 'x', payload: {}, signers: [], nonce: 'n', createdAt: 1 },
      signatures: [],
    };
    const a = await api.answer(API.ledger.submitTx, { query: { wait: '250' }, body: tx });
    assert.deepEqual(a, { status: 202, body: { txId: 't1', status: 'pending' } });
    const [seen] = s.seen;
    assert.equal(seen!.method, 'POST');
    assert.equal(seen!.url, '/v1/txs?wait=250');
    assert.equal(seen!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seen!.body.toString('utf8')), tx);
    assert.equal(seen!.headers[AUTH_HEADER], undefined, 'a transaction authenticates itself: not signed');
  } finally {
    s.server.close();
  }
});

test('security: a member route is signed over the method, path with query and the exact body bytes; a public one is not', async () => {
  const keys = generateP256KeyPair();
  const signerId = 'a'.repeat(64);
  const s = await serverThat(() => ({ status: 200, body: '{"patient":"p","held":true}' }));
  try {
    const api = new ApiClient(s.url, { signerId, privateKey: keys.privateKey, audience: AUDIENCE });
    await api.call(API.orgServices.depositHeKey, { body: { sealed: { v: 1 } } });
    await api.call(API.ledger.status).catch(() => undefined);
    const [signed, pub] = s.seen;
    const header = signed!.headers[AUTH_HEADER] as string;
    const [id, ts, sig] = header.split('.') as [string, string, string];
    assert.equal(id, signerId);
    const bytes = (path: string, body: Uint8Array) =>
      requestSigningBytes({ method: 'POST', path, ts: Number(ts), body, signerId, audience: AUDIENCE });
    const key = importP256PublicKey(keys.publicKey);
    assert.ok(
      verifyP256(key, bytes(signed!.url, signed!.body), fromB64u(sig)),
      'verifies over the bytes sent',
    );
    const tampered = Buffer.from(signed!.body);
    tampered[tampered.length - 2]! ^= 1;
    assert.ok(
      !verifyP256(key, bytes(signed!.url, tampered), fromB64u(sig)),
      'a changed byte does not verify',
    );
    assert.ok(
      !verifyP256(key, bytes('/v1/services/other', signed!.body), fromB64u(sig)),
      'another path does not',
    );
    assert.equal(pub!.headers[AUTH_HEADER], undefined, 'GET /v1/status is public');
  } finally {
    s.server.close();
  }
});

test('behavior: without a signer a member route goes out unsigned, and the node’s 401 comes back as its code', async () => {
  const s = await serverThat(() => ({
    status: 401,
    body: '{"code":"UNAUTHENTICATED","message":"this route needs a signed request"}',
  }));
  try {
    const api = new ApiClient(s.url);
    const e = await api.call(API.ledger.getBlock, { params: { height: '1' } }).then(
      () => assert.fail('must throw'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof MedledgerHttpError && e instanceof MedledgerError);
    assert.deepEqual(
      [e.status, e.code, e.message],
      [401, 'UNAUTHENTICATED', 'this route needs a signed request'],
    );
    assert.equal(s.seen[0]!.headers[AUTH_HEADER], undefined);
  } finally {
    s.server.close();
  }
});

test('behavior: an error answer that is not JSON, or JSON without a code, still decodes to a MedledgerError', async () => {
  let n = 0;
  const s = await serverThat(() =>
    n++ === 0
      ? { status: 502, body: '<html>bad gateway</html>', type: 'text/html' }
      : { status: 500, body: '{}' },
  );
  try {
    const api = new ApiClient(s.url);
    await assert.rejects(api.call(API.ledger.genesis), (e: unknown) => {
      assert.ok(e instanceof MedledgerHttpError);
      assert.deepEqual([e.status, e.code], [502, 'BAD_RESPONSE']);
      return true;
    });
    await assert.rejects(api.call(API.ledger.genesis), (e: unknown) => {
      assert.ok(e instanceof MedledgerHttpError);
      assert.deepEqual([e.status, e.code, e.message], [500, 'HTTP_ERROR', 'HTTP 500']);
      return true;
    });
  } finally {
    s.server.close();
  }
});

test('api: the table types the arguments of a call (compile-time checks)', () => {
  // A route with path parameters needs them; one with a required query needs it.
  const ok: ArgsOf<typeof API.ledger.getTx> = { params: { id: 'x' } };
  // @ts-expect-error params are required
  const noParams: ArgsOf<typeof API.ledger.getTx> = {};
  // @ts-expect-error a path parameter is a string
  const wrongType: ArgsOf<typeof API.ledger.getBlock> = { params: { height: 1 } };
  // @ts-expect-error the body of POST /v1/services/he-custody is { sealed: object }
  const badBody: ArgsOf<typeof API.orgServices.depositHeKey> = { body: { sealed: 'x' } };
  assert.ok(ok && noParams && wrongType && badBody);
});
