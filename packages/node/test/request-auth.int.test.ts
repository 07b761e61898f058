/**
 * Signed requests (api/auth.ts, client/auth.ts) tried as an attacker would: encodings the
 * decoder must refuse, malleated and replayed signatures, requests signed for another node or
 * chain, replays across a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fromB64u, toB64u } from '@medledger/crypto';
import { AUTH_HEADER, signRequest } from '@medledger/client';
import { RequestAuthenticator, buildServer } from '../src/index.js';
import { enrollAll, highSForm, makeTestLedger } from './helpers/ledger.js';

const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes in a non-canonical encoding: one of the 4 unused low bits of the last character set. */
function nonCanonical(header: string): string {
  const last = header.at(-1)!;
  return header.slice(0, -1) + B64U[B64U.indexOf(last) ^ 1]!;
}

async function refused(res: Response, status: number, code: string, what: string): Promise<string> {
  const body = (await res.json()) as { code: string; message: string };
  assert.deepEqual([res.status, body.code], [status, code], `${what}: ${body.message}`);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], what);
  return body.message;
}

test('security: a non-canonical base64url signature is refused with 401 AUTH_ENCODING, never a 500', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node);
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const alice = t.member('alice');
    const path = '/v1/state/anchor:x';
    const header = signRequest({
      audience: { chainId: t.node.chainId, node: t.node.org },
      signerId: alice.memberId,
      privateKey: alice.keys.privateKey,
      method: 'GET',
      path,
      ts: Date.now(),
    });
    const msg = await refused(
      await fetch(`${url}${path}`, { headers: { [AUTH_HEADER]: nonCanonical(header) } }),
      401,
      'AUTH_ENCODING',
      'non-canonical signature',
    );
    assert.match(msg, /canonical base64url/);
    // the canonical form of the same signature is still good (and was not burnt by the attempt)
    const ok = await fetch(`${url}${path}`, { headers: { [AUTH_HEADER]: header } });
    assert.equal(ok.status, 404, 'authenticated: no such state key');
  } finally {
    await app.close();
    await t.cleanup();
  }
});

test('security: replay is keyed on the signed content — a second signature of the same request, or a malleated one, is refused', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node);
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const alice = t.member('alice');
    const path = '/v1/state/anchor:y';
    const ts = Date.now();
    const sign = (): string =>
      signRequest({
        audience: { chainId: t.node.chainId, node: t.node.org },
        signerId: alice.memberId,
        privateKey: alice.keys.privateKey,
        method: 'GET',
        path,
        ts,
      });
    const first = sign();
    const second = sign(); // ECDSA is randomized: another signature of the same content
    assert.notEqual(first, second);
    assert.equal((await fetch(`${url}${path}`, { headers: { [AUTH_HEADER]: first } })).status, 404);
    assert.match(
      await refused(
        await fetch(`${url}${path}`, { headers: { [AUTH_HEADER]: second } }),
        401,
        'AUTH_REPLAY',
        'same content, new signature',
      ),
      /replay/,
    );
    const [head, sig] = [first.slice(0, first.lastIndexOf('.') + 1), first.slice(first.lastIndexOf('.') + 1)];
    const malleated = head + toB64u(highSForm(fromB64u(sig)));
    const res = await fetch(`${url}${path}`, { headers: { [AUTH_HEADER]: malleated } });
    assert.equal(res.status, 401, 'the high-S twin of an accepted signature is refused');
  } finally {
    await app.close();
    await t.cleanup();
  }
});

test('security: the replay memory survives a restart of the node within the window', async () => {
  const t = await makeTestLedger();
  const replayPath = join(t.dir, 'requests.sqlite');
  const serve = async (): Promise<{ url: string; close(): Promise<void> }> => {
    const auth = new RequestAuthenticator(t.node, { replayPath });
    const app = buildServer(t.node, { auth });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: async () => (await app.close(), auth.close()) };
  };
  try {
    await enrollAll(t);
    const alice = t.member('alice');
    const path = '/v1/state/anchor:z';
    const header = signRequest({
      audience: { chainId: t.node.chainId, node: t.node.org },
      signerId: alice.memberId,
      privateKey: alice.keys.privateKey,
      method: 'GET',
      path,
      ts: Date.now(),
    });
    const before = await serve();
    assert.equal((await fetch(`${before.url}${path}`, { headers: { [AUTH_HEADER]: header } })).status, 404);
    await before.close();
    await t.reopen();
    const after = await serve();
    try {
      await refused(
        await fetch(`${after.url}${path}`, { headers: { [AUTH_HEADER]: header } }),
        401,
        'AUTH_REPLAY',
        'replayed after a restart',
      );
    } finally {
      await after.close();
    }
  } finally {
    await t.cleanup();
  }
});

test('security: a request signed for another node or another chain is refused at this node', async () => {
  const t = await makeTestLedger();
  const app = buildServer(t.node);
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const alice = t.member('alice');
    const path = '/v1/state/anchor:w';
    const sign = (audience: { chainId: string; node: string }): string =>
      signRequest({
        audience,
        signerId: alice.memberId,
        privateKey: alice.keys.privateKey,
        method: 'GET',
        path,
        ts: Date.now(),
      });
    assert.equal(t.node.org, 'hospitalA');
    for (const [audience, what] of [
      [{ chainId: t.node.chainId, node: 'hospitalB' }, 'signed for hospital B’s node'],
      [{ chainId: 'ab'.repeat(32), node: 'hospitalA' }, 'signed for another chain'],
    ] as const)
      assert.match(
        await refused(
          await fetch(`${url}${path}`, { headers: { [AUTH_HEADER]: sign(audience) } }),
          401,
          'AUTH_BAD_SIGNATURE',
          what,
        ),
        /at node hospitalA of this chain/,
      );
    const ok = await fetch(`${url}${path}`, {
      headers: { [AUTH_HEADER]: sign({ chainId: t.node.chainId, node: 'hospitalA' }) },
    });
    assert.equal(ok.status, 404, 'signed for this node: authenticated');
    // The client learns the audience from the node's status.
    const status = (await (await fetch(`${url}/v1/status`)).json()) as { chainId: string; org: string };
    assert.deepEqual([status.chainId, status.org], [t.node.chainId, 'hospitalA']);
  } finally {
    await app.close();
    await t.cleanup();
  }
});
