/**
 * `medledger bench anonymity`: per-operation times of the anonymity schemes of
 * @medledger/crypto — BBS anonymous credentials (issue / present / verify, with and without
 * the accumulator non-revocation proof), BBS04 group signatures against group size, SAG /
 * bLSAG ring signatures against ring size, and a zero-knowledge predicate (age >= 18 from a
 * hidden birth date), and what the ledger pays to check those proofs itself on every node
 * (`ledgerProofCheck`, bench/anonymityLedger.ts). Each figure is `{ median, p99, n }` in milliseconds (p99 is the
 * maximum when n < 100). `quick` cuts repetitions and sizes for CI smoke runs.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  acceptCredential,
  createHolderSecret,
  createIssuanceRequest,
  generateIssuerKeys,
  initAnonymousCredentials,
  issueCredential,
  presentCredential,
  RevocationRegistry,
  verifyPresentation,
  type Credential,
  type PresentationRequest,
} from '@medledger/crypto/credentials';
import { GroupManager, groupSign, groupVerify, type GroupMemberKey } from '@medledger/crypto/groupsig';
import { generateRingKeyPair, ringSign, ringVerify } from '@medledger/crypto/ring';
import { ageAtLeast, dateToNumber, timeToDateNumber } from '@medledger/crypto/zk';
import { benchLedgerProofCheck } from './anonymityLedger.js';

interface Stat {
  median: number;
  p99: number;
  n: number;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function stat(t: number[]): Stat {
  t.sort((a, b) => a - b);
  const at = (q: number): number => t[Math.min(t.length - 1, Math.floor(q * t.length))]!;
  return { median: round(at(0.5)), p99: round(at(0.99)), n: t.length };
}

async function time(n: number, fn: (i: number) => unknown): Promise<Stat> {
  await fn(-1);
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn(i);
    t.push(performance.now() - s);
  }
  return stat(t);
}

const now = Date.UTC(2026, 2, 15);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function benchCredentials(reps: number): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  await initAnonymousCredentials();
  const wasmInitMs = round(performance.now() - t0);
  const issuer = await generateIssuerKeys();
  const reg = await RevocationRegistry.create();
  const attributes = {
    birthDate: dateToNumber('1980-05-01'),
    dept: 'oncology',
    insuranceValidUntil: 20_270_101,
  };
  const issueOne = async (): Promise<Credential> => {
    const hs = await createHolderSecret();
    const nonce = randomBytes(16);
    const request = await createIssuanceRequest(hs, nonce);
    const issued = await issueCredential({
      issuerSecretKey: issuer.secretKey,
      request,
      issuerNonce: nonce,
      role: 'researcher',
      organization: 'hospital-a',
      expiresAt: now + 86_400_000,
      attributes,
    });
    return acceptCredential(issued, hs, issuer.publicKey);
  };
  const issue = await time(reps, issueOne);
  const cred = await issueOne();
  const { witness } = await reg.add(cred.credentialId);
  const out: Record<string, unknown> = { wasmInitMs, issue, attributes: 5 + Object.keys(attributes).length };
  const cases: [string, Partial<PresentationRequest>][] = [
    ['role+expiry', {}],
    ['role+expiry+revocation', { revocation: reg.status() }],
  ];
  for (const [name, extra] of cases) {
    const reqs = Array.from({ length: reps + 1 }, () => ({
      nonce: randomBytes(16),
      now,
      reveal: ['role'],
      ...extra,
    }));
    const pres: Awaited<ReturnType<typeof presentCredential>>[] = [];
    const present = await time(reps, async (i) => {
      const p = await presentCredential(cred, reqs[i + 1]!, witness);
      pres[i + 1] = p;
    });
    const verify = await time(reps, async (i) => {
      const r = await verifyPresentation(issuer.publicKey, reqs[i + 1]!, pres[i + 1]!);
      if (!r.ok) throw new Error('bench: presentation did not verify');
    });
    out[name] = { present, verify, proofBytes: pres[1]!.proof.length };
  }
  return out;
}

function benchGroup(sizes: number[], reps: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    scheme: 'BBS04 type-III BLS12-381 (@noble/curves)',
    signatureBytes: 336,
  };
  for (const size of sizes) {
    const gm = GroupManager.create(`bench-${size}`);
    const keys: GroupMemberKey[] = [];
    const t0 = performance.now();
    for (let i = 0; i < size; i++) keys.push(gm.addMember(`m${i}`));
    const joinMs = round((performance.now() - t0) / size);
    const msg = utf8('bench transaction body');
    const sigs = keys.slice(0, reps + 1).map((k) => groupSign(gm.publicKey, k, msg));
    const sign = syncTime(reps, (i) => groupSign(gm.publicKey, keys[(i + 1) % size]!, msg));
    const verify = syncTime(reps, (i) => {
      if (!groupVerify(gm.publicKey, msg, sigs[(i + 1) % sigs.length]!))
        throw new Error('bench: bad group signature');
    });
    const open = syncTime(reps, (i) => {
      if (gm.open(msg, sigs[(i + 1) % sigs.length]!) === null) throw new Error('bench: open failed');
    });
    const t1 = performance.now();
    gm.revoke('m0');
    const revokeMs = round(performance.now() - t1);
    out[`size${size}`] = { joinMs, sign, verify, open, revokeMs };
  }
  return out;
}

function syncTime(n: number, fn: (i: number) => unknown): Stat {
  fn(-1);
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    fn(i);
    t.push(performance.now() - s);
  }
  return stat(t);
}

function benchRing(sizes: number[], reps: number): Record<string, unknown> {
  const out: Record<string, unknown> = { scheme: 'SAG / bLSAG on ristretto255 (@noble/curves)' };
  for (const size of sizes) {
    const keys = Array.from({ length: size }, () => generateRingKeyPair());
    const ring = keys.map((k) => k.publicKey);
    const msg = utf8('anonymous survey answer');
    const row: Record<string, unknown> = {
      signatureBytes: { plain: 4 + 32 * (size + 1), linkable: 4 + 32 * (size + 2) },
    };
    for (const scope of [undefined, 'survey-1']) {
      const s = scope === undefined ? {} : { scope };
      const sig = ringSign({ message: msg, ring, secretKey: keys[0]!.secretKey, ...s });
      row[scope === undefined ? 'plain' : 'linkable'] = {
        sign: syncTime(reps, (i) =>
          ringSign({ message: msg, ring, secretKey: keys[(i + 1) % size]!.secretKey, ...s }),
        ),
        verify: syncTime(reps, () => {
          if (!ringVerify({ message: msg, ring, signature: sig, ...s }))
            throw new Error('bench: bad ring signature');
        }),
      };
    }
    out[`size${size}`] = row;
  }
  return out;
}

async function benchZk(reps: number): Promise<Record<string, unknown>> {
  await initAnonymousCredentials();
  const issuer = await generateIssuerKeys();
  const hs = await createHolderSecret();
  const nonce = randomBytes(16);
  const issued = await issueCredential({
    issuerSecretKey: issuer.secretKey,
    request: await createIssuanceRequest(hs, nonce),
    issuerNonce: nonce,
    role: 'patient',
    organization: 'clinic',
    expiresAt: now + 86_400_000,
    attributes: { birthDate: dateToNumber('2001-07-04') },
  });
  const cred = await acceptCredential(issued, hs, issuer.publicKey);
  const pred = ageAtLeast(18, timeToDateNumber(now));
  const reqs = Array.from({ length: reps + 1 }, () => ({ nonce: randomBytes(16), now, predicates: [pred] }));
  const pres: Awaited<ReturnType<typeof presentCredential>>[] = [];
  const prove = await time(reps, async (i) => {
    pres[i + 1] = await presentCredential(cred, reqs[i + 1]!);
  });
  const verify = await time(reps, async (i) => {
    if (!(await verifyPresentation(issuer.publicKey, reqs[i + 1]!, pres[i + 1]!)).ok)
      throw new Error('bench: zk');
  });
  return {
    predicate: 'age >= 18 (hidden birthDate) + expiry, Bulletproofs++ 64-bit, no trusted setup',
    prove,
    verify,
    proofBytes: pres[1]!.proof.length,
  };
}

/**
 * Runs every benchmark of the anonymity schemes; see the module comment.
 * @example const json = await benchAnonymity({ quick: true })
 */
export async function benchAnonymity(opts: { quick?: boolean }): Promise<Record<string, unknown>> {
  const quick = opts.quick === true;
  const reps = (full: number): number => (quick ? Math.max(2, Math.ceil(full / 5)) : full);
  return {
    unit: 'ms per operation',
    quick,
    credentials: await benchCredentials(reps(10)),
    groupSignatures: benchGroup([8, 64, 512], reps(10)),
    ringSignatures: benchRing([4, 16, 64], reps(10)),
    zkPredicates: await benchZk(reps(10)),
    ledgerProofCheck: await benchLedgerProofCheck(reps(10), quick ? 2 : 10),
  };
}
