/**
 * The state transition: `applyBlock(state, block, ctx)` runs every transaction of a block in
 * order and returns the writes, one validity code per transaction and the new state digest.
 * Pure: the same state, block and context give the same result on every node. An invalid
 * transaction stays in the block with its code (as in Hyperledger Fabric) and changes
 * nothing. A transaction whose signatures verify is recorded as committed whatever its code,
 * so it has one outcome forever; one refused before that is not (commitRule.ts).
 *
 * Checks per transaction, in order (first failure wins):
 *   WRONG_CHAIN, TX_EXPIRED / TX_FROM_FUTURE (against block time), DUPLICATE_TX,
 *   UNKNOWN_SIGNER, ORG_REMOVED (a signer of a removed organization), SIGNER_REVOKED,
 *   CERT_NOT_VALID (at the claimed signing time),
 *   BAD_SIGNATURE, UNKNOWN_TYPE, INVALID_PAYLOAD, then the contract's own codes, or
 *   CONTRACT_FAILED if the contract threw: a bug in one contract refuses the transaction that
 *   reached it (changing nothing) instead of halting every node on the same block, as a
 *   chaincode error invalidates its transaction in Hyperledger Fabric. The code's message names
 *   the contract and the error's class only, not the engine's text, which a node on another
 *   Node.js version could word differently (the stored messages are re-derived by `verify`).
 */
import { fromB64u, fromHex, verifyP256 } from '@medledger/crypto';
import type { Block } from './block.js';
import { parsePayload, type ContractRegistry, type ContractResult, type LedgerEvent } from './contract.js';
import type { ChainParams, OrgEntry } from './genesis.js';
import { getOrg, publicKeyObject, resolveSigner, type Signer } from './identity.js';
import { StateOverlay, digestBlockWrites, type StateReader, type StateWrite } from './state.js';
import { txIdOf, type SignedTx, type TxSignature } from './tx.js';

/**
 * Signature results the caller already knows (e.g. checked in worker threads at admission),
 * looked up by the signature object itself. Returns undefined when unknown; the core then
 * verifies itself.
 */
export type KnownSignatures = (signature: TxSignature, publicKey: string) => boolean | undefined;

export interface ApplyContext {
  contracts: ContractRegistry;
  params: ChainParams;
  /** State digest after the previous block. */
  prevStateDigest: string;
  knownSignatures?: KnownSignatures;
}

export interface TxOutcome {
  txId: string;
  code: string;
  message?: string;
  events: LedgerEvent[];
}

export interface ApplyResult {
  writes: StateWrite[];
  /** Canonical JSON text of each written value (null for a deletion), as hashed. */
  writeTexts: (string | null)[];
  outcomes: TxOutcome[];
  stateDigest: string;
}

type Check = { ok: true; signers: Signer[] } | { ok: false; code: string; message: string };

/** Resolves and checks every signature of a transaction against the current state. */
export function checkSigners(state: StateReader, tx: SignedTx, txId: string, known?: KnownSignatures): Check {
  const signers: Signer[] = [];
  for (const signature of tx.signatures) {
    const { signer, sig } = signature;
    const s = resolveSigner(state, signer);
    if (!s) {
      const removed = removedOrgOf(state, signer);
      if (removed)
        return {
          ok: false,
          code: 'ORG_REMOVED',
          message: `${signer}: organization ${removed.id} was removed from the consortium at height ${removed.removedAt}`,
        };
      return {
        ok: false,
        code: 'UNKNOWN_SIGNER',
        message: `${signer} is not an enrolled member or organization`,
      };
    }
    if (s.kind === 'member') {
      if (s.member.revokedAt !== undefined) {
        return {
          ok: false,
          code: 'SIGNER_REVOKED',
          message: `${signer} was revoked at height ${s.member.revokedAt}`,
        };
      }
      if (getOrg(state, s.org)?.removedAt !== undefined) {
        return {
          ok: false,
          code: 'ORG_REMOVED',
          message: `${signer}'s organization ${s.org} was removed from the consortium`,
        };
      }
      const at = tx.body.createdAt;
      if (at < s.member.notBefore || at >= s.member.notAfter) {
        return {
          ok: false,
          code: 'CERT_NOT_VALID',
          message: `${signer}'s certificate is not valid at the signing time`,
        };
      }
    }
    let ok = known?.(signature, s.publicKey);
    if (ok === undefined) ok = verifyP256(publicKeyObject(s.publicKey), fromHex(txId), fromB64u(sig));
    if (!ok) return { ok: false, code: 'BAD_SIGNATURE', message: `signature of ${signer} does not verify` };
    signers.push(s);
  }
  return { ok: true, signers };
}

/** The removed organization an `org:` or `node:` signer id names, if it names one. */
function removedOrgOf(state: StateReader, signer: string): OrgEntry | undefined {
  const colon = signer.indexOf(':');
  const kind = signer.slice(0, colon);
  if (colon < 0 || (kind !== 'org' && kind !== 'node')) return undefined;
  const org = getOrg(state, signer.slice(colon + 1));
  return org?.removedAt === undefined ? undefined : org;
}

/** Why a transaction cannot be in a block at this time, or undefined. */
export function checkTxTiming(
  tx: SignedTx,
  time: number,
  params: ChainParams,
): { code: string; message: string } | undefined {
  if (tx.body.createdAt + params.txTtlMs < time)
    return { code: 'TX_EXPIRED', message: 'transaction is older than the chain allows' };
  if (tx.body.createdAt > time + params.maxClockSkewMs)
    return { code: 'TX_FROM_FUTURE', message: 'transaction is dated in the future' };
  return undefined;
}

// The events of an outcome that emitted none: one shared, frozen array instead of one per
// transaction (most transaction types emit no event).
const NO_EVENTS = Object.freeze([]) as unknown as LedgerEvent[];

function applyTx(state: StateOverlay, block: Block, index: number, ctx: ApplyContext): TxOutcome {
  const tx = block.txs[index]!;
  const txId = txIdOf(tx.body);
  let events: LedgerEvent[] | undefined;
  const out = (code: string, message?: string): TxOutcome =>
    message === undefined
      ? { txId, code, events: events ?? NO_EVENTS }
      : { txId, code, message, events: events ?? NO_EVENTS };
  const { height, time, chainId } = block.header;
  if (tx.body.chainId !== chainId) return out('WRONG_CHAIN', 'transaction is for another chain');
  const timing = checkTxTiming(tx, time, ctx.params);
  if (timing) return out(timing.code, timing.message);
  if (state.hasCommittedTx(txId)) return out('DUPLICATE_TX', 'transaction already committed');
  const signers = checkSigners(state, tx, txId, ctx.knownSignatures);
  if (!signers.ok) return out(signers.code, signers.message);
  // Authentic from here on: this outcome, whatever its code, is the transaction's only one.
  state.markCommitted(txId);
  const contract = ctx.contracts.get(tx.body.type);
  if (!contract) return out('UNKNOWN_TYPE', `no contract for ${tx.body.type}`);
  let payload: unknown;
  try {
    payload = parsePayload(contract, tx.body);
  } catch (e) {
    return out('INVALID_PAYLOAD', (e as Error).message);
  }
  const child = state.child();
  let r: ContractResult;
  try {
    r = contract.execute(
      {
        state: child,
        tx,
        txId,
        signers: signers.signers,
        height,
        time,
        index,
        params: ctx.params,
        emit: (e) => void (events ??= []).push(e),
      },
      payload,
    );
  } catch (e) {
    const kind = e instanceof Error ? e.name : typeof e;
    return {
      txId,
      code: 'CONTRACT_FAILED',
      message: `contract ${contract.type} threw (${kind})`,
      events: NO_EVENTS,
    };
  }
  if (r.code !== 'OK')
    return { txId, code: r.code, ...('message' in r ? { message: r.message } : {}), events: NO_EVENTS };
  child.mergeInto(state);
  return out('OK');
}

/**
 * Applies a block to a state. Does not check the header's links (see `checkBlockLinks`):
 * verification, transition and persistence are separate steps.
 */
export function applyBlock(state: StateReader, block: Block, ctx: ApplyContext): ApplyResult {
  const overlay = new StateOverlay(state);
  const outcomes: TxOutcome[] = [];
  for (let i = 0; i < block.txs.length; i++) outcomes.push(applyTx(overlay, block, i, ctx));
  const writes = overlay.writes();
  const codes = outcomes.map((o) => o.code);
  const { stateDigest, texts } = digestBlockWrites(ctx.prevStateDigest, writes, codes);
  return { writes, writeTexts: texts, outcomes, stateDigest };
}
