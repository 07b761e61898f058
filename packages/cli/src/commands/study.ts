/**
 * `medledger study`: federated-learning studies on a running node, over its HTTP API.
 *   open    a researcher opens a study (signed with the researcher's key file)
 *   join    a participating hospital joins it (signed with the hospital's node key file); the
 *           hospital's node then plays its part in every round
 *   status  where the study stands: round, phase, who posted, contribution records
 *   result  every round and the latest model, each round re-derived from its transcript
 * Key files are sealed key files (`medledger keys`), opened with MEDLEDGER_PASSPHRASE; reads
 * are signed as a member (`--key`, `--signer`), since the routes are member-only.
 */
import { readFileSync } from 'node:fs';
import { gaussianEpsilon, openKey, type SealedKey } from '@medledger/crypto';
import {
  FlClient,
  MedledgerClient,
  MedledgerHttpError,
  Wallet,
  joinStudyTx,
  openStudyTx,
  type RequestSigner,
} from '@medledger/client';
import type { FlStudySpec } from '@medledger/core/contracts/fl';
import { WDBC_CODE } from '@medledger/node';
import { UsageError } from '../args.js';
import { clientOptionsFor } from '../transport.js';

/** A sealed key file opened with the passphrase. */
export function readKeyFile(path: string, passphrase: string): Uint8Array {
  let sealed: SealedKey;
  try {
    sealed = JSON.parse(readFileSync(path, 'utf8')) as SealedKey;
  } catch (e) {
    throw new UsageError(`--key ${path}: ${(e as Error).message}`);
  }
  return openKey(sealed, passphrase);
}

async function submit(
  url: string,
  wallet: Wallet,
  build: (c: { wallet: Wallet; chainId: string }) => ReturnType<typeof joinStudyTx>,
) {
  const http = new MedledgerClient(url, undefined, clientOptionsFor(url));
  const { chainId } = await http.status();
  let receipt;
  try {
    receipt = await http.submitAndWait(build({ wallet, chainId }), 30_000);
  } catch (e) {
    if (e instanceof MedledgerHttpError) throw new Error(`the node refused it: ${e.code}: ${e.message}`);
    throw e;
  }
  if (receipt.code !== 'OK')
    throw new Error(`the ledger refused it: ${receipt.code}: ${receipt.message ?? ''}`);
  return receipt;
}

/** Parameters of {@link studyOpen}: the study and who opens it. */
export interface StudyOpenParameters {
  url: string;
  signer: string;
  privateKey: Uint8Array;
  spec: FlStudySpec;
}

/** Opens a study; returns the lines to print. */
export async function studyOpen(p: StudyOpenParameters): Promise<string[]> {
  const wallet = new Wallet({ signerId: p.signer, privateKey: p.privateKey });
  const r = await submit(p.url, wallet, (c) => openStudyTx(c, p.spec));
  return [
    `opened study ${p.spec.studyId} at height ${r.height}: ${p.spec.participants.join(', ')} (threshold ${p.spec.threshold}), aggregator ${p.spec.aggregator}, ${p.spec.hyper.rounds} rounds`,
  ];
}

/** Joins a study as `org`, with the org's node key. */
export async function studyJoin(p: {
  url: string;
  org: string;
  nodeKey: Uint8Array;
  studyId: string;
}): Promise<string[]> {
  const wallet = new Wallet({ signerId: `node:${p.org}`, privateKey: p.nodeKey });
  const r = await submit(p.url, wallet, (c) => joinStudyTx(c, p.studyId));
  return [`${p.org} joined study ${p.studyId} at height ${r.height}`];
}

const contributions = (c: Record<string, { status: string; records?: number; reason?: string }>): string =>
  Object.entries(c)
    .map(
      ([org, x]) =>
        `${org} ${x.status}${x.records === undefined ? '' : ` (${x.records})`}${x.reason ? `: ${x.reason}` : ''}`,
    )
    .join('; ') || '-';

/** Where a study stands. */
export async function studyStatus(p: {
  url: string;
  signer: RequestSigner;
  studyId: string;
}): Promise<{ lines: string[]; json: unknown }> {
  const v = await new FlClient(p.url, p.signer).study(p.studyId);
  const s = v.study;
  const lines = [
    `study ${s.studyId} "${s.title}": ${s.status}${s.failure ? ` (${s.failure})` : ''}`,
    `participants ${s.participants.join(', ')} (threshold ${s.threshold}); joined ${s.joined.join(', ') || 'none'}; aggregator ${s.aggregator}`,
  ];
  lines.push(privacyLine(s));
  if (v.round) {
    const r = v.round;
    lines.push(
      `round ${r.round} of ${s.hyper.rounds} (${r.kind}): ${r.phase}; waiting for ${r.expected.filter((o) => !r.posted.includes(o)).join(', ') || 'nobody'}`,
      `contributions: ${contributions(r.contributions)}`,
    );
  }
  if (v.model)
    lines.push(`latest model: round ${v.model.round}, ${v.model.records} records, hash ${v.model.hash}`);
  return { lines, json: v };
}

/** What the study's models may reveal: its differential privacy, or that it has none. */
export function privacyLine(s: FlStudySpec): string {
  if (!s.dp)
    return 'no differential privacy: secure aggregation hides each update, not what the models reveal';
  const eps = gaussianEpsilon({
    noiseMultiplier: s.dp.noiseMultiplier,
    steps: s.hyper.rounds,
    delta: s.dp.delta,
  });
  return `differential privacy of the ${s.hyper.rounds} training rounds: (ε, δ) = (${eps.toFixed(2)}, ${s.dp.delta}), noise multiplier ${s.dp.noiseMultiplier}, clip ${s.dp.clip}; round 0's standardization and the record counts are exact`;
}

/** Every round of a study and its latest model, each round re-derived from its transcript. */
export async function studyResult(p: {
  url: string;
  signer: RequestSigner;
  studyId: string;
}): Promise<{ lines: string[]; json: unknown; ok: boolean }> {
  const client = new FlClient(p.url, p.signer);
  const { study, rounds, model } = await client.result(p.studyId);
  const check = await client.verifyStudy(p.studyId);
  const lines = [`study ${study.studyId}: ${study.status}, ${rounds.length} rounds`, privacyLine(study)];
  for (const r of rounds)
    lines.push(
      `  round ${r.round} (${r.kind}) ${r.phase}: ${r.records ?? '-'} records; ${contributions(r.contributions)}${r.modelHash ? `; model ${r.modelHash.slice(0, 16)}…` : ''}`,
    );
  lines.push(
    check.ok
      ? `every round re-derived from the ledger: ok (model ${check.modelHash})`
      : `re-derivation FAILED: ${check.reason ?? ''}`,
  );
  return {
    lines,
    json: { study, rounds, model, verified: check.ok, ...(check.reason ? { reason: check.reason } : {}) },
    ok: check.ok,
  };
}

/** A study specification from command-line values. */
export function studySpec(v: {
  studyId: string;
  title: string;
  participants: string[];
  aggregator: string;
  threshold?: number;
  rounds: number;
  localEpochs: number;
  learningRate: number;
  l2: number;
  phaseMs: number;
  joinMs: number;
  features: number;
  code?: string;
  /** Differential privacy: clip and noise multiplier (delta 1e-5). */
  dp?: { clip: number; noiseMultiplier: number; delta: number };
}): FlStudySpec {
  const participants = [...new Set(v.participants)].sort();
  if (participants.length < 2) throw new UsageError('--participants needs at least two organizations');
  if (!Number.isFinite(v.learningRate) || !Number.isFinite(v.l2))
    throw new UsageError('--lr and --l2 are numbers');
  return {
    studyId: v.studyId,
    title: v.title,
    model: { kind: 'logreg', features: v.features },
    hyper: { rounds: v.rounds, localEpochs: v.localEpochs, learningRate: v.learningRate, l2: v.l2 },
    selection: { resourceType: 'Observation', category: 'lab', code: v.code ?? WDBC_CODE },
    participants,
    threshold: v.threshold ?? Math.max(2, participants.length - 1),
    aggregator: v.aggregator,
    phaseMs: v.phaseMs,
    joinMs: v.joinMs,
    ...(v.dp ? { dp: v.dp } : {}),
  };
}
