/**
 * `medledger bench crypto`: time per operation of each confidentiality scheme of
 * @medledger/crypto, with the pairing time measured in the same run so that the ABE
 * decryption cost can be read against its pairing count (target: ≤ 1.5 × count × pairing
 * for a 10-attribute policy). Figures are medians in milliseconds. `quick` cuts repetitions
 * (for CI smoke runs); the figures are then noisier.
 */
import { performance } from 'node:perf_hooks';
import {
  g1Generator,
  g2Generator,
  gtPow,
  hashToG1,
  initPairing,
  mulG1,
  mulG2,
  pairing,
  randomScalar,
  referencePairingBytes,
  ctMulG1,
} from '@medledger/crypto/pairing';
import {
  abeDecrypt,
  abeDecryptPairings,
  abeEncrypt,
  createAbeAuthority,
  issueAbeUserKey,
  type AbeUserKey,
} from '@medledger/crypto/abe';
import {
  generatePreKeyPair,
  preDecryptReencrypted,
  preEncrypt,
  preGenerateKFrags,
  preReencrypt,
} from '@medledger/crypto/pre';
import { createHeKeyPair, heDecrypt, heEncrypt, heSum } from '@medledger/crypto/he';
import { createBfv } from '@medledger/crypto/he-bfv';
import { createPeksKeyPair, peksIndex, peksTest, peksTrapdoor } from '@medledger/crypto/peks';

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Median time of `fn` over `n` runs (after one warm-up run), in ms. */
function time(n: number, fn: () => unknown): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return round(t[Math.floor(t.length / 2)]!);
}

/** Runs every benchmark; see the module comment. */
export async function benchCrypto(opts: { quick?: boolean }): Promise<Record<string, unknown>> {
  const quick = opts.quick === true;
  const reps = (full: number): number => (quick ? Math.max(1, Math.ceil(full / 5)) : full);
  await initPairing();
  const record = new TextEncoder().encode('x'.repeat(4096)); // a 4 KiB record

  // --- pairing engine (mcl-wasm) and the rejected alternative (@noble/curves)
  const p = mulG1(g1Generator(), randomScalar());
  const q = mulG2(g2Generator(), randomScalar());
  const e = pairing(p, q);
  const k = randomScalar();
  const pairingMs = time(reps(30), () => pairing(p, q));
  const pairingSection = {
    library: 'mcl-wasm 2.4.1 (pairings, variable-time ops) + @noble/curves (constant-time secret mults)',
    pairingMs,
    noblePairingMs: time(reps(5), () => referencePairingBytes(p, q)),
    gtPowMs: time(reps(20), () => gtPow(e, k)),
    g1MulMs: time(reps(30), () => mulG1(p, k)),
    g1MulConstantTimeMs: time(reps(10), () => ctMulG1(p, k)),
    g2MulMs: time(reps(30), () => mulG2(q, k)),
    hashToG1Ms: time(reps(30), () => hashToG1('bench', record.subarray(0, 32))),
  };

  // --- multi-authority CP-ABE (RW15): AND policies over n attributes from two authorities
  const hb = createAbeAuthority('hospitalB');
  const inst = createAbeAuthority('institute');
  const abeRows: Array<Record<string, unknown>> = [];
  for (const n of [1, 5, 10, 20]) {
    const attrs = Array.from({ length: n }, (_, i) => (i % 2 ? `a${i}@institute` : `a${i}@hospitalB`));
    const issue = (a: string): AbeUserKey =>
      issueAbeUserKey(a.endsWith('@institute') ? inst.secretKey : hb.secretKey, 'gid-bench', a);
    const keyIssueMs = time(reps(5), () => issue(attrs[0]!));
    const keys = attrs.map(issue);
    const policy = attrs.join(' AND ');
    const pks = [hb.publicKey, inst.publicKey];
    const encryptMs = time(reps(5), () => abeEncrypt(policy, pks, record));
    const ct = abeEncrypt(policy, pks, record);
    const decryptMs = time(reps(7), () => abeDecrypt(ct, keys));
    const pairings = abeDecryptPairings(ct, attrs)!;
    abeRows.push({
      attributes: n,
      keyIssueMsPerAttribute: keyIssueMs,
      encryptMs,
      decryptMs,
      pairings,
      decryptOverPairingCost: round(decryptMs / (pairings * pairingMs)),
      ciphertextBytes: ct.toBytes().length,
    });
  }
  const ten = abeRows.find((r) => r.attributes === 10)!;
  // a threshold gate needs Lagrange coefficients, hence GT/G1 exponentiations
  const thrAttrs = Array.from({ length: 10 }, (_, i) => `t${i}@hospitalB`);
  const thrKeys = thrAttrs.map((a) => issueAbeUserKey(hb.secretKey, 'gid-bench', a));
  const thrCt = abeEncrypt(`5 of (${thrAttrs.join(', ')})`, [hb.publicKey], record);
  const thrDecryptMs = time(reps(7), () => abeDecrypt(thrCt, thrKeys));
  const thrPairings = abeDecryptPairings(thrCt, thrAttrs)!;

  // --- Umbral threshold PRE, 2-of-3
  const patient = generatePreKeyPair();
  const signer = generatePreKeyPair();
  const doctor = generatePreKeyPair();
  const parties = {
    delegatingPublicKey: patient.publicKey,
    receivingPublicKey: doctor.publicKey,
    verifyingPublicKey: signer.publicKey,
  };
  const grant = () =>
    preGenerateKFrags({
      delegatingSecretKey: patient.secretKey,
      signingSecretKey: signer.secretKey,
      receivingPublicKey: doctor.publicKey,
      threshold: 2,
      shares: 3,
    });
  const pct = preEncrypt(patient.publicKey, record);
  const kfrags = grant();
  const cfrags = kfrags.slice(0, 2).map((f) => preReencrypt(pct, f.kfrag, parties));
  const pre = {
    scheme: 'Umbral 2-of-3 (@nucypher/umbral-pre 0.10.0)',
    encryptMs: time(reps(20), () => preEncrypt(patient.publicKey, record)),
    kfragsMs: time(reps(20), grant),
    reencryptMs: time(reps(20), () => preReencrypt(pct, kfrags[0]!.kfrag, parties)),
    decryptMs: time(reps(20), () => preDecryptReencrypted(doctor.secretKey, pct, cfrags, parties, 2)),
  };

  // --- homomorphic sums: Paillier (chosen) vs BFV
  const s = performance.now();
  const he = await createHeKeyPair();
  const paillierKeygenMs = round(performance.now() - s);
  const c1 = heEncrypt(he.publicKey, 12_550);
  const c2 = heEncrypt(he.publicKey, 99);
  const bfv = await createBfv();
  const vec = Array.from({ length: 4096 }, (_, i) => BigInt(i));
  const b1 = bfv.encryptVector(vec);
  const b2 = bfv.encryptVector(vec);
  const hom = {
    chosen: 'paillier',
    paillier: {
      keyBits: 2048,
      keygenMs: paillierKeygenMs,
      encryptMs: time(reps(10), () => heEncrypt(he.publicKey, 12_550)),
      addMs: time(reps(50), () => heSum(he.publicKey, [c1, c2])),
      decryptMs: time(reps(10), () => heDecrypt(he.secretKey, c1)),
      ciphertextBytes: c1.toBytes().length,
    },
    bfv: {
      slots: 4096,
      encryptMs: time(reps(10), () => bfv.encryptVector(vec).ct.delete()),
      addMs: time(reps(50), () => bfv.add(b1, b2).ct.delete()),
      decryptMs: time(reps(10), () => bfv.decryptVector(b1)),
      ciphertextBytes: bfv.toBytes(b1).length,
    },
  };
  b1.ct.delete();
  b2.ct.delete();
  bfv.dispose();

  // --- PEKS
  const pk = createPeksKeyPair();
  const ix = peksIndex(pk.publicKey, 'C50.9');
  const td = peksTrapdoor(pk.secretKey, 'C50.9');
  const peks = {
    indexMs: time(reps(20), () => peksIndex(pk.publicKey, 'C50.9')),
    trapdoorMs: time(reps(20), () => peksTrapdoor(pk.secretKey, 'C50.9')),
    testMs: time(reps(20), () => peksTest(ix, td)),
  };

  return {
    quick,
    node: process.version,
    pairing: pairingSection,
    abe: {
      scheme: 'Rouselakis-Waters 2015 multi-authority CP-ABE, type-III (AND policies, 4 KiB record)',
      rows: abeRows,
      target: {
        attributes: 10,
        decryptOverPairingCost: ten.decryptOverPairingCost,
        limit: 1.5,
        met: (ten.decryptOverPairingCost as number) <= 1.5,
      },
      threshold5of10: {
        decryptMs: thrDecryptMs,
        pairings: thrPairings,
        decryptOverPairingCost: round(thrDecryptMs / (thrPairings * pairingMs)),
      },
    },
    pre,
    he: hom,
    peks,
  };
}
