/**
 * Proofs the ledger checks itself. Some transactions carry a proof the core cannot verify in
 * a contract, because the verifier is asynchronous WASM and slow (a BBS credential
 * presentation with a predicate and accumulator proof: 0.2-0.4 s): `anon.trial.enrol` and
 * `anon.read.log`. A node relays them signed by its node key, but that signature is not the
 * evidence: every node verifies the proof with a {@link ProofChecker} of the transaction's
 * type
 *   - at admission (node.ts): a transaction whose proof does not verify is refused;
 *   - in the block pipeline (pipeline/verifyBlock.ts), before the synchronous transition: a
 *     block carrying one is refused as a bad block, and a node that reads it from the
 *     ordering log halts with an alarm (an honest cutter screens such transactions out: see
 *     `EtcdChainView.screen`, so only a dishonest cutter writes such a block);
 *   - when `medledger verify` replays the ledger (verify/verifyLedger.ts).
 * A checker verifies against the state before the block: the issuer's BBS key, which never
 * changes once registered (`anon.issuer.register` refuses a second key), so a verdict for a
 * transaction id holds at any later height. The contract checks the rest (the request's
 * binding to chain, node or trial, the accumulator, the times), synchronously.
 *
 * Positive verdicts are memoized per (issuer key, request, presentation) in this process, so
 * the presentation the node's verifier checked before relaying, then admission, then the
 * block pipeline verify it once. Figures: `medledger bench anonymity` (`ledgerProofCheck`).
 */
import { canonicalBytes, fromB64u, hashTagged, toHex, type JsonValue } from '@medledger/crypto';
import {
  presentationFromJson,
  presentationRequestFromJson,
  verifyPresentation,
} from '@medledger/crypto/credentials';
import { getIssuer } from '@medledger/core/contracts/anonymity';
import { txIdOf, type Block, type SignedTx, type StateReader } from '@medledger/core';

/** Checks the proofs one transaction type carries. */
export interface ProofChecker {
  /**
   * Verifies the proofs of `tx` against `state`, the state before its block.
   * @returns why they do not verify, or undefined if they do. Never throws for bad input.
   */
  check(tx: SignedTx, state: StateReader): Promise<string | undefined>;
}

/** Proof checkers by transaction type. Types without one carry no proof to check. */
export type ProofCheckers = ReadonlyMap<string, ProofChecker>;

/** A transaction of a block whose proof does not verify. */
export interface ProofFault {
  index: number;
  txId: string;
  type: string;
  reason: string;
}

/** Verifies the proofs of one transaction, if its type has a checker. */
export function checkTxProofs(
  checkers: ProofCheckers,
  tx: SignedTx,
  state: StateReader,
): Promise<string | undefined> {
  const c = checkers.get(tx.body.type);
  return c ? c.check(tx, state) : Promise.resolve(undefined);
}

/** The first transaction of `block` whose proof does not verify against `state`, if any. */
export async function checkBlockProofs(
  checkers: ProofCheckers,
  block: Block,
  state: StateReader,
): Promise<ProofFault | undefined> {
  for (let index = 0; index < block.txs.length; index++) {
    const tx = block.txs[index]!;
    const checker = checkers.get(tx.body.type);
    if (!checker) continue; // no await: a block without proofs costs a lookup per transaction
    const reason = await checker.check(tx, state);
    if (reason !== undefined) return { index, txId: txIdOf(tx.body), type: tx.body.type, reason };
  }
  return undefined;
}

const MEMO_MAX = 4096;
const verified = new Set<string>();

/**
 * Verifies a credential presentation (JSON forms) against an issuer key (base64url).
 * @param memo remember a positive verdict in this process (default true).
 * @returns the disclosed attributes, or why it does not verify. Never throws.
 */
export async function verifyCredentialProof(
  issuerPublicKey: string,
  request: unknown,
  presentation: unknown,
  memo = true,
): Promise<{ ok: true; revealed: Record<string, string | number> } | { ok: false; reason: string }> {
  let req, pres;
  try {
    req = presentationRequestFromJson(request);
    pres = presentationFromJson(presentation);
  } catch (e) {
    return { ok: false, reason: `malformed presentation: ${(e as Error).message}` };
  }
  let key: string;
  try {
    key = toHex(
      hashTagged(
        'medledger/anon/verified-presentation/v1',
        canonicalBytes({ issuerPublicKey, request, presentation } as unknown as JsonValue),
      ),
    );
  } catch {
    return { ok: false, reason: 'malformed presentation: not canonical JSON' };
  }
  if (memo && verified.has(key)) return { ok: true, revealed: { ...pres.revealed } };
  const r = await verifyPresentation(fromB64u(issuerPublicKey), req, pres);
  if (!r.ok) return { ok: false, reason: `presentation does not verify: ${r.reason}` };
  if (memo) {
    if (verified.size >= MEMO_MAX) verified.delete(verified.values().next().value!);
    verified.add(key);
  }
  return { ok: true, revealed: r.revealed };
}

/**
 * The checker of a transaction whose payload carries `{ issuer, request, presentation }`: it
 * must be relayed by one node key (checked first: no WASM work for anything else), and the
 * presentation must verify for the request under the issuer's key on the ledger.
 */
export function presentationChecker(memo = true): ProofChecker {
  return {
    async check(tx, state) {
      const signers = tx.body.signers;
      if (signers.length !== 1 || !signers[0]!.startsWith('node:'))
        return 'a proof-carrying transaction is relayed by one node key';
      const p = tx.body.payload as { issuer?: unknown; request?: unknown; presentation?: unknown };
      if (typeof p !== 'object' || p === null || typeof p.issuer !== 'string')
        return 'the payload names no credential issuer';
      const issuer = getIssuer(state, p.issuer);
      if (!issuer) return `organization ${p.issuer} has no registered issuer key before this block`;
      const r = await verifyCredentialProof(issuer.publicKey, p.request, p.presentation, memo);
      return r.ok ? undefined : r.reason;
    },
  };
}

/** The transaction types whose proofs every node checks. */
export const PROOF_CARRYING_TYPES: readonly string[] = ['anon.trial.enrol', 'anon.read.log'];

/**
 * The proof checkers of the default contracts.
 * @param o.memo remember positive verdicts in this process (default true; a benchmark turns it off).
 * @example const known = await verifyBlock(block, parent, digest, state, pool, admitted, clock, createProofCheckers())
 */
export function createProofCheckers(o: { memo?: boolean } = {}): ProofCheckers {
  const c = presentationChecker(o.memo ?? true);
  return new Map(PROOF_CARRYING_TYPES.map((t) => [t, c]));
}
