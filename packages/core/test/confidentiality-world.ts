/** A consortium in memory for the confidentiality contract tests (patient bob, his care team). */
import assert from 'node:assert/strict';
import { generateEncryptionKeyPair, type EncryptionKeyPair, type JsonValue } from '@medledger/crypto';
import type { SignedTx } from '../src/index.js';
import {
  MemChain,
  T0,
  enrollTx,
  makeHealthcareFixture,
  makeTx,
  type Fixture,
  type Member,
} from './fixtures.js';

export const DAY = 86_400_000;

export interface CWorld {
  f: Fixture;
  c: MemChain;
  bob: Member;
  gp: Member;
  baker: Member;
  chen: Member;
  outsider: Member;
  family: Member;
  claims: Member;
  researcher: Member;
  enc: Map<string, EncryptionKeyPair>;
  t: number;
  tx(m: Member | string, type: string, payload: { [k: string]: JsonValue }): SignedTx;
  run(...txs: SignedTx[]): string[];
  state<T>(key: string): T;
}

export async function cworld(): Promise<CWorld> {
  const f = await makeHealthcareFixture();
  const c = new MemChain(f);
  const w = {
    f,
    c,
    bob: await f.member('gpclinic', 'patient', 'patient-7f3a'),
    gp: await f.member('gpclinic', 'doctor', 'gp'),
    baker: await f.member('hospitalB', 'doctor', 'baker'),
    chen: await f.member('hospitalB', 'doctor', 'chen'),
    outsider: await f.member('hospitalA', 'doctor', 'outsider'),
    family: await f.member('gpclinic', 'patient', 'family-1'),
    claims: await f.member('insurer', 'insurer', 'claims'),
    researcher: await f.member('institute', 'researcher', 'r1'),
    enc: new Map(),
    t: T0 + 1000,
  } as CWorld;
  w.tx = (m, type, payload) => {
    const signer: [string, Uint8Array] =
      typeof m === 'string'
        ? m.startsWith('org:')
          ? [m, f.orgs[m.slice(4)]!.root.privateKey]
          : [m, f.orgs[m.slice(5)]!.node.privateKey]
        : [m.id, m.keys.privateKey];
    return makeTx(f.chainId, type, payload, [signer], w.t);
  };
  w.run = (...txs) => {
    w.t += 1000;
    return c.commit(txs, w.t);
  };
  w.state = <T>(key: string): T => c.state.get(key) as T;
  const enroll = (org: string, m: Member): SignedTx => {
    const k = generateEncryptionKeyPair();
    w.enc.set(m.id, k);
    return enrollTx(f, org, m, w.t, k.publicKey);
  };
  const codes = w.run(
    enroll('gpclinic', w.bob),
    enroll('gpclinic', w.gp),
    enroll('hospitalB', w.baker),
    enroll('hospitalB', w.chen),
    enroll('hospitalA', w.outsider),
    enroll('gpclinic', w.family),
    enroll('insurer', w.claims),
    enroll('institute', w.researcher),
  );
  assert.ok(
    codes.every((x) => x === 'OK'),
    codes.join(),
  );
  assert.deepEqual(w.run(w.tx(w.bob, 'patient.careteam', { add: [w.gp.id, w.baker.id], remove: [] })), [
    'OK',
  ]);
  return w;
}

/** A consent grant signed by bob. */
export function grantTx(
  w: CWorld,
  grantId: string,
  grantee: { [k: string]: JsonValue },
  scope: { [k: string]: JsonValue },
  purposes: string[],
  extra: { [k: string]: JsonValue } = {},
): SignedTx {
  return w.tx(w.bob, 'consent.grant', {
    grantId,
    grantee,
    scope,
    purposes,
    notBefore: T0,
    notAfter: T0 + 30 * DAY,
    ...extra,
  });
}
