/**
 * Checkpoints: finality and fork detection (DESIGN.md "Ordering").
 *
 * After it commits block h, every consortium node signs a checkpoint — the chain, the height,
 * the block's hash, the state digest after the block and the root of the block's validity
 * codes — with its node key. A block whose checkpoint a quorum of the consortium's nodes (a
 * majority, `checkpointQuorum`) signed alike is final: a light client accepts a transaction
 * only under such a checkpoint, and checks the transaction's validity code against the codes
 * root. A node whose own checkpoint differs from the quorum's has diverged (a bug, or state
 * changed behind its back) and halts.
 *
 * The validity codes are not in the block header (they are computed by every node when it
 * applies the block, as in Hyperledger Fabric), so the codes root is what lets a light client
 * learn a transaction's outcome from signatures alone. Leaves are the canonical bytes of
 * `{ code, txId }` in block order; the tree is RFC 6962's.
 *
 * Threat model: etcd orders blocks and tolerates crashes, not malice. Checkpoints make a
 * minority of faulty or malicious nodes detectable and keep light clients safe from any one
 * node; they do not make the system tolerate a malicious majority.
 */
import {
  HashTag,
  canonicalBytes,
  canonicalize,
  fromB64u,
  fromHex,
  hashTagged,
  merkleProof,
  merkleProofOfRunTextLeaves,
  merkleProofOfTextLeaves,
  merkleRootOfRunHeads,
  merkleRootOfTextLeaves,
  merkleRunHeadsOfTextLeaves,
  signP256,
  toB64u,
  toHex,
  verifyMerkleProof,
  verifyP256,
  type MerkleProof,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { LedgerError } from './errors.js';
import { checkpointQuorum } from './identity.js';
import { MERKLE_RUN } from './block.js';
import { B64U, HEX32, ID, arr, int, obj, onlyKeys, str } from './validate.js';

/** What a node signs after committing block `height`. */
export interface CheckpointBody {
  chainId: string;
  height: number;
  blockHash: string;
  /** State digest after the block. */
  stateDigest: string;
  /** RFC 6962 root over `{ code, txId }` of the block's transactions, in order. */
  codesRoot: string;
}

/** One node's signature over a checkpoint body. */
export interface CheckpointSignature {
  org: string;
  sig: string;
}

/** A checkpoint body with the signatures of the nodes that signed it. */
export interface SignedCheckpoint {
  body: CheckpointBody;
  signatures: CheckpointSignature[];
}

const leafOf = (txId: string, code: string): Uint8Array => canonicalBytes({ code, txId });

/** The codes root of a block: hex RFC 6962 root over `{ code, txId }` leaves. */
export function codesRootOf(txIds: readonly string[], codes: readonly string[]): string {
  if (txIds.length !== codes.length) throw new RangeError('one validity code per transaction');
  return merkleRootOfTextLeaves(codeLeafTexts(txIds, codes));
}

// The canonical text of each leaf `{ code, txId }` ("code" < "txId"), written out directly.
function codeLeafTexts(txIds: readonly string[], codes: readonly string[]): string[] {
  return txIds.map((id, i) => `{"code":${canonicalize(codes[i]!)},"txId":${canonicalize(id)}}`);
}

/** The run heads (hex) of a block's codes tree (block.ts `MERKLE_RUN`), stored with the block. */
export function codesRunHeadsOf(txIds: readonly string[], codes: readonly string[]): string[] {
  if (txIds.length !== codes.length) throw new RangeError('one validity code per transaction');
  return merkleRunHeadsOfTextLeaves(codeLeafTexts(txIds, codes), MERKLE_RUN);
}

/** {@link codesRootOf} from the block's stored run heads. */
export function codesRootOfRunHeads(heads: readonly string[]): string {
  return merkleRootOfRunHeads(heads);
}

/**
 * {@link codeProofOfText} from the block's stored run heads and the ids and codes of the run
 * that holds `index`: the same proof.
 * @throws RangeError if the run's ids and codes do not hash to its head
 */
export function codeProofOfRun(p: {
  treeSize: number;
  heads: readonly string[];
  runIds: readonly string[];
  runCodes: readonly string[];
  index: number;
}): CodeProof {
  if (p.runIds.length !== p.runCodes.length) throw new RangeError('one validity code per transaction');
  const m = merkleProofOfRunTextLeaves({
    treeSize: p.treeSize,
    index: p.index,
    run: MERKLE_RUN,
    heads: p.heads,
    runLeaves: codeLeafTexts(p.runIds, p.runCodes),
  });
  const code = p.runCodes[p.index - Math.floor(p.index / MERKLE_RUN) * MERKLE_RUN]!;
  return { index: p.index, treeSize: m.treeSize, code, path: m.path };
}

/** Proof that transaction `index` of a block has validity code `codes[index]`. */
export interface CodeProof {
  index: number;
  treeSize: number;
  code: string;
  /** Audit path, hex. */
  path: string[];
}

export function codeProofOf(txIds: readonly string[], codes: readonly string[], index: number): CodeProof {
  const p = merkleProof(
    txIds.map((id, i) => leafOf(id, codes[i]!)),
    index,
  );
  return { index, treeSize: p.treeSize, code: codes[index]!, path: p.path.map(toHex) };
}

/**
 * {@link codeProofOf} on hex strings (the leaves' canonical text written out as
 * {@link codesRootOf} writes it): the same proof for a fraction of the CPU.
 */
export function codeProofOfText(
  txIds: readonly string[],
  codes: readonly string[],
  index: number,
): CodeProof {
  if (txIds.length !== codes.length) throw new RangeError('one validity code per transaction');
  const p = merkleProofOfTextLeaves(codeLeafTexts(txIds, codes), index);
  return { index, treeSize: p.treeSize, code: codes[index]!, path: p.path };
}

/** True if `proof` shows `txId` at its index with its code under `codesRoot`. Never throws. */
export function verifyCodeProof(codesRoot: string, txId: string, proof: CodeProof): boolean {
  try {
    const mp: MerkleProof = { index: proof.index, treeSize: proof.treeSize, path: proof.path.map(fromHex) };
    return verifyMerkleProof(fromHex(codesRoot), leafOf(txId, proof.code), mp);
  } catch {
    return false;
  }
}

/** The bytes a node signs: the tagged hash of the canonical body. */
export function checkpointHashOf(body: CheckpointBody): Uint8Array {
  return hashTagged(HashTag.checkpoint, canonicalBytes(body));
}

export function signCheckpoint(
  body: CheckpointBody,
  org: string,
  nodeKey: Uint8Array | KeyObject,
): CheckpointSignature {
  return { org, sig: toB64u(signP256(nodeKey, checkpointHashOf(body))) };
}

/** True if `sig` is a valid signature of `body` under `nodePublicKey`. Never throws. */
export function verifyCheckpointSignature(
  body: CheckpointBody,
  sig: string,
  nodePublicKey: Uint8Array | KeyObject,
): boolean {
  try {
    return verifyP256(nodePublicKey, checkpointHashOf(body), fromB64u(sig));
  } catch {
    return false;
  }
}

/** True if two checkpoint bodies say the same thing. */
export function sameCheckpoint(a: CheckpointBody, b: CheckpointBody): boolean {
  return (
    a.chainId === b.chainId &&
    a.height === b.height &&
    a.blockHash === b.blockHash &&
    a.stateDigest === b.stateDigest &&
    a.codesRoot === b.codesRoot
  );
}

/**
 * The organizations whose valid signatures `c` carries, counting each node once and only
 * nodes in `nodes` (org id → node public key, the consortium's nodes at that height).
 */
export function validSigners(
  c: SignedCheckpoint,
  nodes: ReadonlyMap<string, Uint8Array | KeyObject>,
): string[] {
  const out = new Set<string>();
  for (const s of c.signatures) {
    const key = nodes.get(s.org);
    if (key && !out.has(s.org) && verifyCheckpointSignature(c.body, s.sig, key)) out.add(s.org);
  }
  return [...out].sort();
}

/** True if a majority of `nodes` validly signed `c`. */
export function isQuorumCheckpoint(
  c: SignedCheckpoint,
  nodes: ReadonlyMap<string, Uint8Array | KeyObject>,
): boolean {
  return nodes.size > 0 && validSigners(c, nodes).length >= checkpointQuorum(nodes.size);
}

const C = 'MALFORMED_CHECKPOINT';

/** Checks the shape of an untrusted checkpoint body. */
export function parseCheckpointBody(input: unknown, path = 'checkpoint'): CheckpointBody {
  const b = obj(input, path, C);
  onlyKeys(b, ['chainId', 'height', 'blockHash', 'stateDigest', 'codesRoot'], path, C);
  return {
    chainId: str(b.chainId, `${path}.chainId`, C, 64, HEX32),
    height: int(b.height, `${path}.height`, C, 1),
    blockHash: str(b.blockHash, `${path}.blockHash`, C, 64, HEX32),
    stateDigest: str(b.stateDigest, `${path}.stateDigest`, C, 64, HEX32),
    codesRoot: str(b.codesRoot, `${path}.codesRoot`, C, 64, HEX32),
  };
}

/** Checks the shape of an untrusted signed checkpoint. */
export function parseSignedCheckpoint(input: unknown): SignedCheckpoint {
  const c = obj(input, 'checkpoint', C);
  onlyKeys(c, ['body', 'signatures'], 'checkpoint', C);
  const body = parseCheckpointBody(c.body, 'checkpoint.body');
  const signatures = arr(c.signatures, 'checkpoint.signatures', C, 0, 1000).map((x, i) => {
    const p = `checkpoint.signatures[${i}]`;
    const s = obj(x, p, C);
    onlyKeys(s, ['org', 'sig'], p, C);
    return { org: str(s.org, `${p}.org`, C, 64, ID), sig: str(s.sig, `${p}.sig`, C, 128, B64U) };
  });
  return { body, signatures };
}

/** Throws CHECKPOINT_MISMATCH if a quorum checkpoint disagrees with this node's own. */
export function checkAgainstQuorum(own: CheckpointBody, quorum: CheckpointBody): void {
  if (!sameCheckpoint(own, quorum))
    throw new LedgerError(
      { code: 'CHECKPOINT_MISMATCH', height: own.height },
      `fork detected at height ${own.height}: this node's ${diffOf(own, quorum)} differs from the one a quorum of nodes signed`,
    );
}

function diffOf(a: CheckpointBody, b: CheckpointBody): string {
  const d: string[] = [];
  if (a.blockHash !== b.blockHash) d.push('block hash');
  if (a.stateDigest !== b.stateDigest) d.push('state digest');
  if (a.codesRoot !== b.codesRoot) d.push('validity codes');
  return d.join(' and ') || 'checkpoint';
}
