/**
 * Test world of the FHIR facade: the records world (a real node, SQLite ledger, EHR store and
 * vault, served over HTTP on a loopback port) with the FHIR plugin, SMART client registration
 * and tokens made with `jose`, and `fhir-kit-client` as the FHIR client.
 */
import { Client } from 'fhir-kit-client';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { canonicalBytes, commit, randomBytes, toB64u, toHex, type JsonValue } from '@medledger/crypto';
import type { SignedTx, TxType } from '@medledger/core';
import { fhirRoutes } from '../../src/api/routes/fhir.js';
import { FhirFacade } from '../../src/fhir/facade.js';
import { SmartAuthority } from '../../src/fhir/smart.js';
import { makeRecordsWorld, type Label, type RecordsWorld } from './records.js';

export type Obj = { [k: string]: JsonValue };

export interface FhirWorld extends RecordsWorld {
  base: string;
  tokenUrl: string;
  /** Added to the SMART authority's clock (token and assertion expiry). */
  clock: { skewMs: number };
  smart: SmartAuthority;
  /** A SMART client of member `l`: its client id and key pair. */
  registerClient(l: Label, alg?: 'ES256' | 'ES384'): Promise<SmartClient>;
  /** A signed client assertion of `c` for the token endpoint. */
  assertion(c: SmartClient, o?: AssertionOptions): Promise<string>;
  /** Asks the token endpoint; returns the HTTP status and the JSON body. */
  tokenRequest(c: SmartClient, scope: string, o?: AssertionOptions): Promise<{ status: number; body: Obj }>;
  /** A token, or throws. */
  token(c: SmartClient, scope: string): Promise<string>;
  /** fhir-kit-client with a bearer token. */
  fhir(token: string): Client;
  /** base64url of a signed transaction, for X-Medledger-Tx. */
  txHeader(tx: SignedTx): string;
  /** Member `l`'s signed transaction. */
  tx(l: Label, type: string, payload: Obj): SignedTx;
  /** An SPV create's headers and transaction for `resource` by doctor `l` of hospitalA. */
  spvCreate(
    l: Label,
    recordId: string,
    resource: Obj,
    category?: string,
  ): { headers: Record<string, string> };
}

export interface SmartClient {
  clientId: string;
  alg: 'ES256' | 'ES384';
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface AssertionOptions {
  key?: CryptoKey;
  alg?: string;
  aud?: string;
  expSeconds?: number;
  jti?: string;
  iss?: string;
}

export async function makeFhirWorld(o: { tokenTtlMs?: number } = {}): Promise<FhirWorld> {
  const clock = { skewMs: 0 };
  let smart!: SmartAuthority;
  const w = await makeRecordsWorld({
    plugins: (node, services, auth) => {
      smart = new SmartAuthority({
        node,
        now: () => Date.now() + clock.skewMs,
        ...(o.tokenTtlMs ? { tokenTtlMs: o.tokenTtlMs } : {}),
      });
      return [fhirRoutes({ facade: new FhirFacade({ records: services }), smart, auth })];
    },
  });
  const base = `${w.url}/fhir/R4`;
  const tokenUrl = `${base}/auth/token`;
  const tx = (l: Label, type: TxType, payload: Obj): SignedTx =>
    w.c[l].wallet.txFromJson({ chainId: w.node.chainId, type, payload, createdAt: Date.now() });
  const assertion = async (c: SmartClient, a: AssertionOptions = {}): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: a.alg ?? c.alg })
      .setIssuer(a.iss ?? c.clientId)
      .setSubject(a.iss ?? c.clientId)
      .setAudience(a.aud ?? tokenUrl)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (a.expSeconds ?? 240))
      .setJti(a.jti ?? toHex(randomBytes(16)))
      .sign(a.key ?? c.privateKey);
  const tokenRequest = async (c: SmartClient, scope: string, a: AssertionOptions = {}) => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(c, a),
      }).toString(),
    });
    return { status: res.status, body: (await res.json()) as Obj };
  };
  const originalCleanup = w.cleanup;
  return Object.assign(w, {
    base,
    tokenUrl,
    clock,
    smart,
    async registerClient(l: Label, alg: 'ES256' | 'ES384' = 'ES384'): Promise<SmartClient> {
      const { privateKey, publicKey } = await generateKeyPair(alg);
      const jwk = { ...(await exportJWK(publicKey)), alg, kid: toHex(randomBytes(8)) };
      const r = await w.c[l].signed<{ client_id: string }>('POST', '/fhir/R4/auth/clients', {
        jwks: { keys: [jwk] },
      });
      return { clientId: r.client_id, alg, privateKey, jwk };
    },
    assertion,
    tokenRequest,
    async token(c: SmartClient, scope: string): Promise<string> {
      const r = await tokenRequest(c, scope);
      if (r.status !== 200) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body['access_token'] as string;
    },
    fhir: (token: string) => new Client({ baseUrl: base, bearerToken: token }),
    txHeader: (t: SignedTx) => toB64u(canonicalBytes(t)),
    tx,
    spvCreate(l: Label, recordId: string, resource: Obj, category = 'lab') {
      const { commitment, salt } = commit(canonicalBytes(resource));
      const head = (w.node.stateValue(`chain:spv:${w.id.bob}`) as { head: string } | undefined)?.head ?? null;
      const subject = /^Patient\/(.+)$/.exec(String((resource['subject'] as Obj)['reference']))![1]!;
      const t = tx(l, 'record.spv', {
        recordId,
        patient: w.id.bob,
        subject,
        category,
        resourceType: String(resource['resourceType']),
        responsible: [w.id[l]],
        k: 1,
        prev: head,
        commitment: toHex(commitment),
        holder: 'hospitalA',
      });
      return { headers: { 'x-medledger-tx': toB64u(canonicalBytes(t)), 'x-medledger-salt': toB64u(salt) } };
    },
    async cleanup() {
      await originalCleanup();
      smart.close();
    },
  });
}
