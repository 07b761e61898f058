/**
 * Blocks. The header commits to the previous block (hash chain), the transactions (RFC 6962
 * Merkle root of their ids) and the world state after the previous block (`stateDigest`, as
 * Tendermint's app hash does), so that an orderer can cut block h+1 as soon as block h is
 * applied, without executing h+1 first. Validity codes are not in the header: every node
 * computes them deterministically when it applies the block (as in Hyperledger Fabric), and
 * the state digest of block h — committed by header h+1 — covers them.
 *
 * The proposer signs the header hash with its organization's node key, listed in genesis: a
 * light client that knows genesis can check a header without trusting the node serving it.
 */
import {
  HashTag,
  canonicalBytes,
  canonicalize,
  fromB64u,
  fromHex,
  hashTagged,
  merkleProofOfHexLeaves,
  merkleProofOfRunHexLeaves,
  merkleRootOfHexLeaves,
  merkleRunHeadsOfHexLeaves,
  signP256,
  toB64u,
  toHex,
  verifyMerkleProof,
  verifyP256,
  type MerkleProof,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { LedgerError } from './errors.js';
import { parseTx, txCanonicalText, txIdOf, type SignedTx } from './tx.js';
import { B64U, HEX32, ID, arr, int, obj, onlyKeys, str } from './validate.js';

export interface BlockHeader {
  chainId: string;
  height: number;
  prevHash: string;
  /** RFC 6962 root over the 32-byte ids of the block's transactions, in order. */
  txRoot: string;
  /** Digest of the world state after block `height - 1`. */
  stateDigest: string;
  /** Set by the orderer, ms since the epoch; never smaller than the previous block's. */
  time: number;
  /** Organization id whose node proposed (cut and signed) the block. */
  proposer: string;
  txCount: number;
}

export interface Block {
  header: BlockHeader;
  txs: SignedTx[];
  /** Proposer's P-256 signature over the header hash, base64url. */
  proposerSig: string;
}

/** Canonical JSON text of a block (RFC 8785), reusing each transaction's memoized text. */
export function blockCanonicalText(block: Block): string {
  // Member order of RFC 8785: "header" < "proposerSig" < "txs".
  return `{"header":${canonicalize(block.header)},"proposerSig":${canonicalize(block.proposerSig)},"txs":[${block.txs.map(txCanonicalText).join(',')}]}`;
}

/**
 * {@link blockCanonicalText} with where each transaction's text starts in it (UTF-16 offsets),
 * and where one more would start (`txStarts[txs.length]`): transaction i's text is
 * `[txStarts[i], txStarts[i + 1] - 1)`, the character between being the comma (or, after the
 * last, the `]`). A store that keeps them serves one transaction of a block without parsing
 * the block (node store/commitSql.ts).
 */
export function blockCanonicalTextWithOffsets(block: Block): { text: string; txStarts: number[] } {
  const head = `{"header":${canonicalize(block.header)},"proposerSig":${canonicalize(block.proposerSig)},"txs":[`;
  const parts: string[] = [head];
  const txStarts: number[] = [];
  let at = head.length;
  for (let i = 0; i < block.txs.length; i++) {
    if (i > 0) {
      parts.push(',');
      at += 1;
    }
    const t = txCanonicalText(block.txs[i]!);
    txStarts.push(at);
    parts.push(t);
    at += t.length;
  }
  txStarts.push(at + 1);
  parts.push(']}');
  return { text: parts.join(''), txStarts };
}

/** Hex hash of a header: the block's identity. */
export function blockHashOf(header: BlockHeader): string {
  return toHex(hashTagged(HashTag.blockHeader, canonicalBytes(header)));
}

const roots = new WeakMap<readonly SignedTx[], string>();

/** RFC 6962 root of transaction ids (hex); memoized per array (blocks are never mutated). */
export function txRootOf(txs: readonly SignedTx[]): string {
  let r = roots.get(txs);
  if (r === undefined) {
    r = merkleRootOfHexLeaves(txs.map((t) => txIdOf(t.body)));
    roots.set(txs, r);
  }
  return r;
}

/** Signs a header as its proposer. */
export function signBlockHeader(header: BlockHeader, nodeKey: Uint8Array | KeyObject): string {
  return toB64u(signP256(nodeKey, fromHex(blockHashOf(header))));
}

/** True if `sig` is the proposer's signature over the header, under `nodePublicKey` (SPKI DER). */
export function verifyBlockHeaderSignature(
  header: BlockHeader,
  sig: string,
  nodePublicKey: Uint8Array | KeyObject,
): boolean {
  let s: Uint8Array;
  try {
    s = fromB64u(sig);
  } catch {
    return false;
  }
  return verifyP256(nodePublicKey, fromHex(blockHashOf(header)), s);
}

const C = 'MALFORMED_BLOCK';

/** Checks the shape of an untrusted block, including each transaction's. */
export function parseBlock(input: unknown): Block {
  const b = obj(input, 'block', C);
  onlyKeys(b, ['header', 'txs', 'proposerSig'], 'block', C);
  const h = obj(b.header, 'block.header', C);
  onlyKeys(
    h,
    ['chainId', 'height', 'prevHash', 'txRoot', 'stateDigest', 'time', 'proposer', 'txCount'],
    'block.header',
    C,
  );
  str(h.chainId, 'block.header.chainId', C, 64, HEX32);
  int(h.height, 'block.header.height', C, 0);
  str(h.prevHash, 'block.header.prevHash', C, 64, HEX32);
  str(h.txRoot, 'block.header.txRoot', C, 64, HEX32);
  str(h.stateDigest, 'block.header.stateDigest', C, 64, HEX32);
  int(h.time, 'block.header.time', C, 0, 8.64e15);
  str(h.proposer, 'block.header.proposer', C, 64, ID);
  const n = int(h.txCount, 'block.header.txCount', C, 0, 1_000_000);
  const txs = arr(b.txs, 'block.txs', C, 0, 1_000_000).map((t, i) => {
    try {
      return parseTx(t);
    } catch (e) {
      throw new LedgerError({ code: C, path: `block.txs[${i}]` }, `block.txs[${i}]: ${(e as Error).message}`);
    }
  });
  if (txs.length !== n)
    throw new LedgerError(
      { code: C, path: 'block.header.txCount' },
      'block.header.txCount: does not match the transactions',
    );
  str(b.proposerSig, 'block.proposerSig', C, 128, B64U);
  return b as unknown as Block;
}

/** Why a block does not follow its parent, or undefined if it does. Pure header checks. */
export function checkBlockLinks(
  block: Block,
  parent: BlockHeader,
  expectedStateDigest: string,
): string | undefined {
  const h = block.header;
  if (h.chainId !== parent.chainId) return 'chainId differs from the chain';
  if (h.height !== parent.height + 1) return `height ${h.height} does not follow ${parent.height}`;
  if (h.prevHash !== blockHashOf(parent)) return 'prevHash is not the hash of the previous block';
  if (h.time < parent.time) return 'time goes backwards';
  if (h.txCount !== block.txs.length) return 'txCount does not match the transactions';
  if (h.txRoot !== txRootOf(block.txs)) return 'txRoot is not the Merkle root of the transactions';
  if (h.stateDigest !== expectedStateDigest)
    return 'stateDigest differs from the state after the previous block';
  return undefined;
}

/** An inclusion proof of a transaction in a block, in JSON form. */
export interface TxInclusionProof {
  height: number;
  index: number;
  treeSize: number;
  /** Audit path, hex hashes. */
  path: string[];
}

/** Builds the inclusion proof of transaction `index` of a block. */
export function txInclusionProof(block: Block, index: number): TxInclusionProof {
  return txInclusionProofOfIds(
    block.header.height,
    block.txs.map((t) => txIdOf(t.body)),
    index,
  );
}

/**
 * The inclusion proof of transaction `index` from the block's transaction ids in order (hex),
 * without the block: what a store that indexes ids by block serves from.
 */
export function txInclusionProofOfIds(
  height: number,
  txIds: readonly string[],
  index: number,
): TxInclusionProof {
  const p = merkleProofOfHexLeaves(txIds, index);
  return { height, index, treeSize: p.treeSize, path: p.path };
}

/**
 * Width of the runs of a block's leaves whose Merkle heads the node stores with the block
 * (crypto merkle.ts, "Run heads"): a proof then hashes one run's 16 leaves and the ⌈n/16⌉
 * heads, not all n leaves. Stored heads are 32 bytes per 16 transactions and tree.
 */
export const MERKLE_RUN = 16;

/** The run heads (hex) of a block's transaction-id tree, from its ids in order. */
export function txRunHeadsOf(txIds: readonly string[]): string[] {
  return merkleRunHeadsOfHexLeaves(txIds, MERKLE_RUN);
}

/**
 * {@link txInclusionProofOfIds} from the block's stored run heads and the ids of the run of
 * {@link MERKLE_RUN} that holds `index`: the same proof.
 * @throws RangeError if the ids are not the run's (they do not hash to its head)
 */
export function txInclusionProofOfRun(p: {
  height: number;
  treeSize: number;
  heads: readonly string[];
  runIds: readonly string[];
  index: number;
}): TxInclusionProof {
  const m = merkleProofOfRunHexLeaves({
    treeSize: p.treeSize,
    index: p.index,
    run: MERKLE_RUN,
    heads: p.heads,
    runLeaves: p.runIds,
  });
  return { height: p.height, index: p.index, treeSize: m.treeSize, path: m.path };
}

/**
 * Light-client check: is `tx` committed in the block whose header is `header`? Needs only
 * the header (and, to trust the header, either its hash from a trusted source or the
 * proposer's public key from genesis). Never throws on malformed proofs; returns false.
 */
export function verifyTxInclusion(p: {
  tx: SignedTx;
  proof: TxInclusionProof;
  header: BlockHeader;
  trusted: { headerHash: string } | { proposerSig: string; proposerKey: Uint8Array | KeyObject };
}): boolean {
  try {
    const { tx, proof, header, trusted } = p;
    if ('headerHash' in trusted) {
      if (blockHashOf(header) !== trusted.headerHash) return false;
    } else if (!verifyBlockHeaderSignature(header, trusted.proposerSig, trusted.proposerKey)) {
      return false;
    }
    if (proof.height !== header.height || proof.treeSize !== header.txCount) return false;
    const mp: MerkleProof = { index: proof.index, treeSize: proof.treeSize, path: proof.path.map(fromHex) };
    return verifyMerkleProof(fromHex(header.txRoot), fromHex(txIdOf(tx.body)), mp);
  } catch {
    return false;
  }
}
