/**
 * `anon.issuer.register` — an organization publishes the public key it signs anonymous
 * credentials with (BBS, 96 bytes) and its revocation accumulator (VB accumulator public key
 * and initial value). Signed by the organization's root key. Verifiers (every node) check
 * presentations against this key and against the accumulator value in the state of the block
 * they read, so revocation is the same for every node and auditable.
 *
 * The contract checks lengths only: whether the bytes are valid curve points needs the
 * credential library (WASM, asynchronous); the issuing node checks them before registering
 * and a malformed key simply verifies nothing.
 */
import { fromB64u } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { B64U, obj, onlyKeys, str } from '../../validate.js';
import { C } from './common.js';
import { anonKeys, asJson, getIssuer, type IssuerEntry } from './state.js';

export interface RegisterIssuerPayload {
  publicKey: string;
  accumulatorPublicKey: string;
  accumulated: string;
}

/** @internal A base64url field of an exact byte length. */
export function bytesField(v: unknown, path: string, n: number): string {
  const s = str(v, path, C, Math.ceil((n * 4) / 3) + 2, B64U);
  let len = -1;
  try {
    len = fromB64u(s).length;
  } catch {
    len = -1;
  }
  if (len !== n) malformed(C, path, `must be ${n} bytes of base64url`);
  return s;
}

export const processRegisterIssuer: Contract<RegisterIssuerPayload> = {
  type: 'anon.issuer.register',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['publicKey', 'accumulatorPublicKey', 'accumulated'], 'payload', C);
    return {
      publicKey: bytesField(p.publicKey, 'payload.publicKey', 96),
      accumulatorPublicKey: bytesField(p.accumulatorPublicKey, 'payload.accumulatorPublicKey', 96),
      accumulated: bytesField(p.accumulated, 'payload.accumulated', 48),
    };
  },
  execute(ctx, p) {
    const org = ctx.signers[0];
    if (ctx.signers.length !== 1 || org?.kind !== 'org')
      return fail('UNAUTHORIZED', 'an issuer key is registered by one organization root key');
    if (getIssuer(ctx.state, org.org))
      return fail('ISSUER_EXISTS', `organization ${org.org} already registered an issuer key`);
    const entry: IssuerEntry = {
      org: org.org,
      publicKey: p.publicKey,
      accumulatorPublicKey: p.accumulatorPublicKey,
      accumulated: p.accumulated,
      seq: 0,
      registeredAt: ctx.height,
      updatedAt: ctx.height,
    };
    ctx.state.put(anonKeys.issuer(org.org), asJson(entry));
    ctx.emit({ type: 'anon.issuer.registered', org: org.org });
    return OK;
  },
};
