/**
 * The cost of the ledger checking proofs itself (issue 11 §4): how long a node's proof checker
 * (node/src/anonymity/proofCheck.ts, not memoized) takes for an `anon.trial.enrol` (age >= 18
 * predicate, expiry and accumulator non-revocation) and an `anon.read.log` (role and
 * organization disclosed, expiry, non-revocation), and how long the block pipeline's proof
 * step takes for a block of `blockTxs` enrolments. Every node runs these checks on the main
 * thread, one transaction after another, before it applies a block, so a block carrying k of
 * them waits k times the check; `maxPerSecond` is that bound (1000 / median) for one node.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Wallet } from '@medledger/client';
import { generateP256KeyPair, type JsonValue } from '@medledger/crypto';
import {
  acceptCredential,
  createHolderSecret,
  createIssuanceRequest,
  generateIssuerKeys,
  initAnonymousCredentials,
  issueCredential,
  presentCredential,
  presentationRequestToJson,
  presentationToJson,
  RevocationRegistry,
  type PresentationRequest,
} from '@medledger/crypto/credentials';
import { ageAtLeast, dateToNumber, timeToDateNumber } from '@medledger/crypto/zk';
import { mapStateReader, type Block, type SignedTx, type TxType } from '@medledger/core';
import { anonKeys, anonReadContext, trialContext, trialScope } from '@medledger/core/contracts/anonymity';
import { checkBlockProofs, createProofCheckers } from '@medledger/node';

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

/**
 * Measures the proof checks of the ledger; see the module comment.
 * @example const figures = await benchLedgerProofCheck(5, 10)
 */
export async function benchLedgerProofCheck(
  reps: number,
  blockTxs: number,
): Promise<Record<string, unknown>> {
  await initAnonymousCredentials();
  const now = Date.now();
  const issuer = await generateIssuerKeys();
  const reg = await RevocationRegistry.create();
  const hs = await createHolderSecret();
  const nonce = randomBytes(16);
  const issued = await issueCredential({
    issuerSecretKey: issuer.secretKey,
    request: await createIssuanceRequest(hs, nonce),
    issuerNonce: nonce,
    role: 'doctor',
    organization: 'hospitalB',
    expiresAt: now + 86_400_000,
    attributes: { birthDate: dateToNumber('1980-05-01') },
  });
  const cred = await acceptCredential(issued, hs, issuer.publicKey);
  const { witness } = await reg.add(cred.credentialId);
  const revocation = reg.status();
  const b64 = (x: Uint8Array): string => Buffer.from(x).toString('base64url');
  const state = mapStateReader(
    new Map<string, JsonValue>([
      [
        anonKeys.issuer('hospitalB'),
        {
          org: 'hospitalB',
          publicKey: b64(issuer.publicKey),
          accumulatorPublicKey: b64(revocation.publicKey),
          accumulated: b64(revocation.accumulated),
          seq: 1,
          registeredAt: 1,
          updatedAt: 1,
        },
      ],
    ]),
  );
  const chainId = 'bench';
  const relay = new Wallet({ signerId: 'node:hospitalA', privateKey: generateP256KeyPair().privateKey });
  const tx = (type: TxType, payload: Record<string, unknown>): SignedTx =>
    relay.txFromJson({ chainId, type, payload: payload as { [k: string]: JsonValue }, createdAt: now });
  const enrolTx = async (): Promise<SignedTx> => {
    const request: PresentationRequest = {
      nonce: randomBytes(32),
      now,
      predicates: [ageAtLeast(18, timeToDateNumber(now))],
      scope: trialScope('trial-1'),
      revocation,
      context: trialContext(chainId, 'trial-1'),
    };
    const p = await presentCredential(cred, request, witness);
    return tx('anon.trial.enrol', {
      trialId: 'trial-1',
      issuer: 'hospitalB',
      request: presentationRequestToJson(request),
      presentation: presentationToJson(p),
    });
  };
  const readTx = async (): Promise<SignedTx> => {
    const request: PresentationRequest = {
      nonce: randomBytes(32),
      now,
      reveal: ['organization', 'role'],
      revocation,
      context: anonReadContext(chainId, 'hospitalA'),
    };
    const p = await presentCredential(cred, request, witness);
    return tx('anon.read.log', {
      recordId: 'lab-1',
      purpose: 'treatment',
      outcome: 'allowed',
      at: now,
      issuer: 'hospitalB',
      request: presentationRequestToJson(request),
      presentation: presentationToJson(p),
    });
  };
  const checkers = createProofCheckers({ memo: false });
  const timeChecks = async (txs: SignedTx[]): Promise<Stat> => {
    const t: number[] = [];
    for (const x of txs) {
      const c = checkers.get(x.body.type)!;
      const s = performance.now();
      const why = await c.check(x, state);
      t.push(performance.now() - s);
      if (why !== undefined) throw new Error(`bench: a valid proof was refused: ${why}`);
    }
    return stat(t.slice(1)); // the first one warms up
  };
  const enrols = await Promise.all(Array.from({ length: Math.max(reps, blockTxs) + 1 }, enrolTx));
  const reads = await Promise.all(Array.from({ length: reps + 1 }, readTx));
  const enrolCheck = await timeChecks(enrols.slice(0, reps + 1));
  const readCheck = await timeChecks(reads);
  const block = { header: {}, txs: enrols.slice(1, blockTxs + 1), proposerSig: '' } as unknown as Block;
  const s = performance.now();
  if (await checkBlockProofs(checkers, block, state)) throw new Error('bench: a valid block was refused');
  const blockMs = round(performance.now() - s);
  return {
    unit: 'ms per transaction checked by one node (not memoized)',
    enrolCheck,
    readLogCheck: readCheck,
    maxPerSecond: { enrol: round(1000 / enrolCheck.median), readLog: round(1000 / readCheck.median) },
    block: { txs: blockTxs, proofStepMs: blockMs, blocksPerSecond: round(1000 / blockMs) },
  };
}
