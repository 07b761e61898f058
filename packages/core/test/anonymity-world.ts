/** Shared world of the anonymity contract tests: a MemChain with a few enrolled members. */
import { randomBytes, toB64u, type JsonValue } from '@medledger/crypto';
import type { SignedTx } from '../src/index.js';
import { anonymousMessage, type JsonObject } from '../src/contracts/anonymity/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx, type Fixture, type Member } from './fixtures.js';

export interface AnonWorld {
  f: Fixture;
  c: MemChain;
  m: Record<string, Member>;
  t: number;
  /** A transaction signed by a member, or by `org:<id>` / `node:<id>`. */
  tx(signer: Member | string, type: string, payload: { [k: string]: JsonValue }): SignedTx;
  run(...txs: SignedTx[]): string[];
  /** An anonymous payload: the envelope fields, the message to sign and the signed payload. */
  anon(
    type: string,
    fields: JsonObject,
    sign: (message: Uint8Array) => Uint8Array,
    createdAt?: number,
  ): JsonObject;
}

export async function anonWorld(
  members: [label: string, org: string, role: string][] = [
    ['alice', 'hospitalA', 'doctor'],
    ['bob', 'hospitalB', 'doctor'],
    ['chen', 'hospitalB', 'doctor'],
    ['dana', 'hospitalB', 'nurse'],
    ['pat', 'hospitalA', 'patient'],
    ['pia', 'hospitalA', 'patient'],
    ['paul', 'hospitalB', 'patient'],
  ],
): Promise<AnonWorld> {
  const f = await makeFixture(['hospitalA', 'hospitalB']);
  const c = new MemChain(f);
  const m: Record<string, Member> = {};
  for (const [label, org, role] of members) m[label] = await f.member(org, role, label);
  const w: AnonWorld = {
    f,
    c,
    m,
    t: T0 + 1000,
    tx(signer, type, payload) {
      let key: [string, Uint8Array];
      if (typeof signer !== 'string') key = [signer.id, signer.keys.privateKey];
      else if (signer.startsWith('org:')) key = [signer, f.orgs[signer.slice(4)]!.root.privateKey];
      else key = [signer, f.orgs[signer.slice(5)]!.node.privateKey];
      return makeTx(f.chainId, type, payload, [key], w.t);
    },
    run(...txs) {
      w.t += 1000;
      return c.commit(txs, w.t);
    },
    anon(type, fields, sign, createdAt = w.t) {
      const unsigned: JsonObject = { ...fields, createdAt, nonce: toB64u(randomBytes(16)) };
      return { ...unsigned, signature: toB64u(sign(anonymousMessage(f.chainId, type, unsigned))) };
    },
  };
  const orgOf = Object.fromEntries(members.map(([l, o]) => [l, o]));
  const codes = w.run(...Object.entries(m).map(([l, mem]) => enrollTx(f, orgOf[l]!, mem, w.t)));
  if (!codes.every((x) => x === 'OK')) throw new Error(`enrolment failed: ${codes.join(',')}`);
  return w;
}
