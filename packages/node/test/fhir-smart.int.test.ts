/**
 * SMART Backend Services on a real node, one negative test per way a request can fail to be
 * authorized: an assertion signed with a key that was not registered, expired, for another
 * audience, too long-lived, unsigned, or replayed (jti); a scope that does not cover the
 * resource or the interaction; a revoked member's JWKS (new tokens and live tokens); a token
 * used after it expired; a bad registration.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsecuredJWT, generateKeyPair } from 'jose';
import { AUTH_HEADER, Wallet, signRequest } from '@medledger/client';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMember } from '@medledger/core';
import { utf8 } from '@medledger/crypto';
import { SmartAuthority } from '../src/fhir/smart.js';
import { condition, observation } from './helpers/records.js';
import { makeFhirWorld, type FhirWorld, type Obj, type SmartClient } from './helpers/fhir.js';

let w: FhirWorld;
let alice: SmartClient;
const S = 'ep-smart-1';

before(async () => {
  w = await makeFhirWorld();
  alice = await w.registerClient('alice');
  await w.c.alice.writeSpv({ recordId: 'smart-obs-1', patient: w.id.bob, resource: observation(S, 5.5) });
  await w.c.alice.writeDss({
    recordId: 'smart-cond-1',
    patient: w.id.bob,
    category: 'clinical',
    resource: condition(S),
  });
});
after(async () => {
  await w.cleanup();
});

/** GET with a bearer token: status and the OperationOutcome's medledger code. */
async function get(token: string, path: string): Promise<{ status: number; code: string; body: Obj }> {
  const res = await fetch(`${w.base}/${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Obj;
  const issue = ((body['issue'] as Obj[] | undefined) ?? [])[0];
  const code = ((issue?.['details'] as Obj | undefined)?.['coding'] as Obj[] | undefined)?.[0]?.['code'];
  return { status: res.status, code: String(code ?? ''), body };
}

test('smart: ES384 and ES256 assertions from registered keys get tokens that read', async () => {
  const t384 = await w.token(alice, 'system/Observation.read');
  assert.equal((await get(t384, 'Observation/smart-obs-1')).status, 200);
  const bob = await w.registerClient('bob', 'ES256');
  const t256 = await w.token(bob, 'patient/*.read');
  const r = await get(t256, 'Condition/smart-cond-1');
  assert.equal(r.status, 200);
  assert.equal(r.body['id'], 'smart-cond-1');
});

test('smart: an assertion signed with a key that was not registered is refused (401 invalid_client)', async () => {
  const { privateKey } = await generateKeyPair('ES384');
  const r = await w.tokenRequest(alice, 'system/*.read', { key: privateKey });
  assert.equal(r.status, 401);
  assert.equal(r.body['error'], 'invalid_client');
  assert.match(String(r.body['error_description']), /signature/);
  const stranger = await w.tokenRequest({ ...alice, clientId: 'ab'.repeat(16) }, 'system/*.read');
  assert.deepEqual([stranger.status, stranger.body['error']], [401, 'invalid_client'], 'unknown client id');
});

test('smart: an expired assertion, one for another audience, one living over 5 minutes and an unsigned one are refused', async () => {
  const expired = await w.tokenRequest(alice, 'system/*.read', { expSeconds: -30 });
  assert.deepEqual([expired.status, expired.body['error']], [401, 'invalid_client']);
  assert.match(String(expired.body['error_description']), /expired/);
  const aud = await w.tokenRequest(alice, 'system/*.read', {
    aud: 'https://other-node.example/fhir/R4/auth/token',
  });
  assert.equal(aud.status, 401);
  assert.match(String(aud.body['error_description']), /aud/);
  const long = await w.tokenRequest(alice, 'system/*.read', { expSeconds: 3600 });
  assert.equal(long.status, 401);
  assert.match(String(long.body['error_description']), /5 minutes/);
  const unsigned = new UnsecuredJWT({})
    .setIssuer(alice.clientId)
    .setSubject(alice.clientId)
    .setAudience(w.tokenUrl)
    .setExpirationTime('2m')
    .setJti('u-1')
    .encode();
  const res = await fetch(w.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'system/*.read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: unsigned,
    }).toString(),
  });
  assert.equal(res.status, 401, 'alg none is refused');
});

test('smart: an assertion replayed with the same jti is refused', async () => {
  const first = await w.tokenRequest(alice, 'system/*.read', { jti: 'jti-once' });
  assert.equal(first.status, 200);
  const again = await w.tokenRequest(alice, 'system/*.read', { jti: 'jti-once' });
  assert.deepEqual([again.status, again.body['error']], [401, 'invalid_client']);
  assert.match(String(again.body['error_description']), /replay/);
});

test('smart: a scope that does not cover the resource or the interaction is refused (403 SCOPE_INSUFFICIENT)', async () => {
  const obsOnly = await w.token(alice, 'system/Observation.read');
  const cond = await get(obsOnly, 'Condition/smart-cond-1');
  assert.deepEqual([cond.status, cond.code], [403, 'SCOPE_INSUFFICIENT']);
  const search = await get(obsOnly, `Condition?patient=${w.id.bob}`);
  assert.deepEqual([search.status, search.code], [403, 'SCOPE_INSUFFICIENT']);
  const create = await fetch(`${w.base}/Observation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${obsOnly}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(observation(S, 1.1)),
  });
  assert.equal(create.status, 403, 'read scope does not create');
  // A patient/ scope is the member's own compartment: a doctor's does not reach bob's records.
  const compartment = await get(await w.token(alice, 'patient/*.read'), 'Observation/smart-obs-1');
  assert.deepEqual([compartment.status, compartment.code], [403, 'SCOPE_INSUFFICIENT']);
  const bad = await w.tokenRequest(alice, 'system/Observation.fly');
  assert.deepEqual([bad.status, bad.body['error']], [400, 'invalid_scope']);
});

test('smart: a revoked member’s JWKS stops working — no new token, and live tokens are refused', async () => {
  const outsider = await w.registerClient('outsider');
  const live = await w.token(outsider, 'system/*.read');
  assert.equal((await get(live, 'Condition/smart-cond-1')).status, 200, 'a DSS record: any member reads it');
  const org = new Wallet({
    signerId: 'org:hospitalA',
    privateKey: w.consortium.orgs.get('hospitalA')!.root.privateKey,
  });
  const s = await w.node.submit(
    org.tx({
      chainId: w.node.chainId,
      type: 'registry.revoke',
      payload: { memberId: w.id.outsider, reason: 'left' },
      createdAt: Date.now(),
    }),
  );
  assert.equal((await w.node.waitForReceipt(s.txId, 10_000))?.code, 'OK');
  const again = await w.tokenRequest(outsider, 'system/*.read');
  assert.deepEqual([again.status, again.body['error']], [401, 'invalid_client']);
  assert.match(String(again.body['error_description']), /revoked/);
  const old = await get(live, 'Condition/smart-cond-1');
  assert.deepEqual([old.status, old.code], [401, 'AUTH_REVOKED']);
});

test('smart: a token used after it expired is refused (401 SMART_TOKEN_EXPIRED); an unknown token is 401', async () => {
  const t = await w.token(alice, 'system/*.read');
  assert.equal((await get(t, 'Observation/smart-obs-1')).status, 200);
  w.clock.skewMs = 5 * 60_000 + 1_000;
  try {
    const late = await get(t, 'Observation/smart-obs-1');
    assert.deepEqual([late.status, late.code], [401, 'SMART_TOKEN_EXPIRED']);
  } finally {
    w.clock.skewMs = 0;
  }
  const unknown = await get('not-a-token', 'Observation/smart-obs-1');
  assert.deepEqual([unknown.status, unknown.code], [401, 'SMART_TOKEN_INVALID']);
  const none = await fetch(`${w.base}/Observation/smart-obs-1`);
  assert.equal(none.status, 401, 'no credential at all');
});

test('smart: registration takes public EC keys from a signed member request only', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const { exportJWK } = await import('jose');
  const priv = await exportJWK(privateKey);
  const body = utf8(JSON.stringify({ jwks: { keys: [priv] } }));
  const path = '/fhir/R4/auth/clients';
  const res = await fetch(`${w.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [AUTH_HEADER]: signRequest({
        signerId: w.id.alice,
        privateKey: w.consortium.members.find((m) => m.spec.label === 'alice')!.keys.privateKey,
        method: 'POST',
        path,
        ts: Date.now(),
        audience: { chainId: w.node.chainId, node: w.node.org },
        body,
      }),
    },
    body,
  });
  assert.equal(res.status, 400);
  assert.match(JSON.stringify(await res.json()), /private key/);
  const rsa = await generateKeyPair('RS256', { extractable: true });
  await assert.rejects(
    w.c.alice.signed('POST', '/fhir/R4/auth/clients', { jwks: { keys: [await exportJWK(rsa.publicKey)] } }),
    (e: { status?: number }) => e.status === 400,
    'an RSA key is refused',
  );
  const unsigned = await fetch(`${w.base}/auth/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jwks: { keys: [alice.jwk] } }),
  });
  assert.equal(unsigned.status, 401);
});

test('smart: after a restart a used jti is still refused and a live token still works; the file holds no token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smart-'));
  const path = join(dir, 'smart-clients.sqlite');
  try {
    const alicePub = { jwks: { keys: [alice.jwk] } };
    const member = getMember(w.node.store, w.id.alice)!;
    const first = new SmartAuthority({ node: w.node, path });
    const { client_id } = await first.register(member, alicePub);
    const c = { ...alice, clientId: client_id };
    const a = await w.assertion(c, { jti: 'survives-restart' });
    const req = {
      grant_type: 'client_credentials',
      scope: 'system/*.read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: a,
    };
    const { access_token } = await first.token(req, w.tokenUrl);
    first.close();
    assert.ok(
      !readFileSync(path).includes(Buffer.from(access_token)),
      'the registrations file keeps no access token in the clear',
    );
    const second = new SmartAuthority({ node: w.node, path });
    try {
      assert.equal(
        second.authenticate(access_token).member.id,
        w.id.alice,
        'a live token outlives the restart',
      );
      await assert.rejects(
        second.token(req, w.tokenUrl),
        (e: Error) => /replay/.test(e.message),
        'the same assertion replayed after the restart is refused',
      );
      assert.throws(() => second.authenticate(`${access_token.slice(0, -2)}AA`), /not one this node issued/);
    } finally {
      second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
