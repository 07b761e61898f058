/**
 * Client of a node's ledger routes, calling through the route table (api/): errors from the
 * node arrive as `{ code, message }` and are thrown as `MedledgerHttpError` with the same code.
 *
 * The raw ledger reads — `getTx`, `getBlock`, `getState` — are member-only: blocks and
 * transactions carry DSS records in plaintext, and the node logs every DSS record it serves
 * on the ledger under the reader's id. Give the client a {@link RequestSigner} (the member's
 * id and P-256 key) and it signs those requests (auth.ts); without one they fail with 401
 * UNAUTHENTICATED. Submitting, receipts, status and genesis need no signature.
 */
import type { RequestKey } from './signer.js';
import type {
  Block,
  BlockHeader,
  CheckpointBody,
  CheckpointSignature,
  CodeProof,
  Genesis,
  SignedCheckpoint,
  SignedTx,
  TxInclusionProof,
} from '@medledger/core';
import type { RequestAudience } from './auth.js';
import { MedledgerHttpError } from './errors.js';

export { MedledgerHttpError } from './errors.js';
import { API } from './api/index.js';
import { ApiClient } from './api/call.js';

export interface Receipt {
  txId: string;
  height: number;
  index: number;
  code: string;
  message?: string;
  blockHash: string;
}

export type SubmitResult =
  | { txId: string; status: 'pending'; duplicate?: true }
  | { txId: string; status: 'committed'; receipt: Receipt; duplicate?: true }
  | { txId?: string; status: 'rejected'; error: { code: string; message: string } };

export interface TxWithProof {
  tx: SignedTx;
  receipt: Receipt;
  proof: TxInclusionProof;
  header: BlockHeader;
  proposerSig: string;
  /** The block's checkpoint with the node signatures this node holds that agree with it. */
  checkpoint?: SignedCheckpoint & { final: boolean };
  /** The transaction's validity code under the checkpoint's codes root. */
  codeProof?: CodeProof;
}

/** A height's checkpoint as a node serves it. */
export type CheckpointAt = SignedCheckpoint & { final: boolean };

/** Every checkpoint signature a node stored for a height (what peers sync). */
export interface StoredCheckpoints {
  height: number;
  signatures: (CheckpointSignature & { body: CheckpointBody })[];
}

/** A member who signs the client's ledger reads (see auth.ts `signRequest`). */
export interface RequestSigner {
  /** Member id (hex of the certificate hash). */
  signerId: string;
  /** PKCS#8 DER of the member's P-256 key, or the imported key. */
  privateKey: RequestKey;
  /** Clock for the request timestamp (default Date.now). */
  now?: () => number;
  /**
   * The node the requests are meant for (chain id and organization). Default: what the node
   * says in `GET /v1/status`, read once (client/auth.ts `requestAudience`).
   */
  audience?: RequestAudience;
}

/** A block as `GET /v1/blocks/:height` serves it. */
export interface BlockWithCodes {
  block: { header: BlockHeader; txs: SignedTx[]; proposerSig: string };
  hash: string;
  codes: string[];
}

/**
 * Typed client of one node.
 * @param baseUrl the node's URL
 * @param signer the member who signs ledger reads (getTx, getBlock, getState); optional for
 *   writers that only submit
 * @example
 * const client = new MedledgerClient(url, { signerId: memberId, privateKey: pkcs8 });
 * const { block, codes } = await client.getBlock(1); // logged if it carries DSS records
 */
export class MedledgerClient {
  readonly baseUrl: string;
  /** The table-typed client this one calls through (client/src/api). */
  readonly api: ApiClient;
  /**
   * @param opts.fetch the fetch to use (e.g. one that trusts only the consortium's roots over
   *   TLS); the global fetch by default
   */
  constructor(baseUrl: string, signer?: RequestSigner, opts: { fetch?: typeof fetch } = {}) {
    this.api = new ApiClient(baseUrl, signer, opts);
    this.baseUrl = this.api.baseUrl;
  }

  /**
   * Submits a transaction. With `waitMs`, waits up to that long for its receipt: a node holds
   * an unsigned request a few seconds at most, so the client then asks for the receipt again
   * until `waitMs` has passed.
   */
  async submit(tx: SignedTx, opts: { waitMs?: number } = {}): Promise<SubmitResult> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    const r = (await this.api.call(API.ledger.submitTx, {
      query: waitQuery(opts.waitMs),
      body: tx,
    })) as SubmitResult;
    return r.status === 'pending' ? this.#untilCommitted(r, deadline) : r;
  }

  /** Submits transactions; with `waitMs`, waits for their receipts as {@link submit} does. */
  async submitBatch(txs: SignedTx[], opts: { waitMs?: number } = {}): Promise<SubmitResult[]> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    const r = await this.api.call(API.ledger.submitBatch, { query: waitQuery(opts.waitMs), body: { txs } });
    const out: SubmitResult[] = [];
    for (const x of r.results as SubmitResult[])
      out.push(x.status === 'pending' ? await this.#untilCommitted(x, deadline) : x);
    return out;
  }

  /** Asks for the receipt of a pending transaction until it comes or `deadline` passes. */
  async #untilCommitted(r: SubmitResult & { status: 'pending' }, deadline: number): Promise<SubmitResult> {
    for (let left = deadline - Date.now(); left > 0; left = deadline - Date.now()) {
      try {
        const receipt = await this.getReceipt(r.txId, Math.min(left, 5_000));
        return { txId: r.txId, status: 'committed', receipt, ...(r.duplicate ? { duplicate: true } : {}) };
      } catch (e) {
        if (!(e instanceof MedledgerHttpError && e.code === 'NOT_FOUND')) throw e;
        await new Promise((res) => setTimeout(res, 50)); // a node that does not wait: do not spin
      }
    }
    return r;
  }

  /** Submits and waits for the receipt; throws if rejected or not committed in time. */
  async submitAndWait(tx: SignedTx, waitMs = 30_000): Promise<Receipt> {
    const r = await this.submit(tx, { waitMs });
    if (r.status === 'committed') return r.receipt;
    if (r.status === 'rejected') throw new MedledgerHttpError(400, r.error.code, r.error.message);
    throw new MedledgerHttpError(504, 'TIMEOUT', `transaction ${r.txId} not committed within ${waitMs} ms`);
  }

  /**
   * A committed transaction with its proof and, where the node keeps checkpoints, the block's
   * checkpoint for a light client (signed request; 401 without a signer).
   * @param opts.finalWaitMs wait up to this long for a quorum of nodes to sign the block
   */
  async getTx(id: string, opts: { finalWaitMs?: number } = {}): Promise<TxWithProof> {
    const query = opts.finalWaitMs ? { final: String(opts.finalWaitMs) } : undefined;
    return (await this.api.call(API.ledger.getTx, { params: { id }, query })) as unknown as TxWithProof;
  }

  async getReceipt(id: string, waitMs = 0): Promise<Receipt> {
    return (await this.api.call(API.ledger.getReceipt, {
      params: { id },
      query: waitQuery(waitMs),
    })) as Receipt;
  }

  /** A block with its validity codes (signed request; 401 without a signer). */
  async getBlock(height: number): Promise<BlockWithCodes> {
    return (await this.api.call(API.ledger.getBlock, {
      params: { height: String(height) },
    })) as unknown as BlockWithCodes;
  }

  /**
   * A world-state value (signed request; 401 without a signer).
   * @throws MedledgerHttpError NOT_FOUND when the key has no value
   */
  async getState<T = unknown>(key: string): Promise<{ key: string; value: T }> {
    return (await this.api.call(API.ledger.getState, { params: { key } })) as { key: string; value: T };
  }

  /** The checkpoint of a committed height and the signatures of it this node holds. */
  async getCheckpoint(height: number): Promise<CheckpointAt> {
    return (await this.api.call(API.ledger.checkpoint, {
      params: { height: String(height) },
    })) as unknown as CheckpointAt;
  }

  /** Every checkpoint signature the node stored for heights `from`..`to` (at most 500). */
  async getCheckpoints(from: number, to: number): Promise<StoredCheckpoints[]> {
    const r = await this.api.call(API.ledger.checkpoints, { query: { from: String(from), to: String(to) } });
    return r.checkpoints as unknown as StoredCheckpoints[];
  }

  /** Stored blocks `from`..`to` for a peer node's sync (signed by a consortium node key). */
  async syncBlocks(from: number, to: number): Promise<{ block: Block; hash: string }[]> {
    const r = await this.api.call(API.ledger.syncBlocks, { query: { from: String(from), to: String(to) } });
    return r.blocks as unknown as { block: Block; hash: string }[];
  }

  async status(): Promise<Record<string, unknown> & { chainId: string; height: number }> {
    return this.api.call(API.ledger.status);
  }

  async genesis(): Promise<Genesis> {
    return (await this.api.call(API.ledger.genesis)) as unknown as Genesis;
  }
}

/** `?wait=<ms>` when there is a wait. */
function waitQuery(ms: number | undefined): { wait: string } | undefined {
  return ms ? { wait: String(ms) } : undefined;
}
