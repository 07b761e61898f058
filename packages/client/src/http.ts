/**
 * Typed HTTP client for a medledger node. Errors from the node arrive as `{ code, message }`
 * and are thrown as `MedledgerHttpError` with the same code.
 *
 * The raw ledger reads — `getTx`, `getBlock`, `getState` — are member-only: blocks and
 * transactions carry DSS records in plaintext, and the node logs every DSS record it serves
 * on the ledger under the reader's id. Give the client a {@link RequestSigner} (the member's
 * id and P-256 key) and it signs those requests (auth.ts); without one they fail with 401
 * UNAUTHENTICATED. Submitting, receipts, status and genesis need no signature.
 */
import type { SigningKey } from './signer.js';
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
import { AUTH_HEADER, requestAudience, signRequest, type RequestAudience } from './auth.js';
import { MedledgerError } from './errors.js';

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

/** A node answered with an error: its status and its `{ code, message }` body. */
export class MedledgerHttpError extends MedledgerError {
  declare readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message, status);
    this.name = 'MedledgerHttpError';
  }
}

/** A member who signs the client's ledger reads (see auth.ts `signRequest`). */
export interface RequestSigner {
  /** Member id (hex of the certificate hash). */
  signerId: string;
  /** PKCS#8 DER of the member's P-256 key, or the imported key. */
  privateKey: SigningKey;
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
  readonly #signer: RequestSigner | undefined;
  readonly #fetch: typeof fetch;
  /**
   * @param opts.fetch the fetch to use (e.g. one that trusts only the consortium's roots over
   *   TLS); the global fetch by default
   */
  constructor(baseUrl: string, signer?: RequestSigner, opts: { fetch?: typeof fetch } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.#signer = signer;
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  async #req<T>(method: string, path: string, body?: unknown, signed = false): Promise<T> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    // Only bodiless requests are signed here (the signature would have to cover the body bytes).
    if (signed && this.#signer && body === undefined) {
      const s = this.#signer;
      headers[AUTH_HEADER] = signRequest({
        audience: s.audience ?? (await requestAudience(this.baseUrl, this.#fetch)),
        signerId: s.signerId,
        privateKey: s.privateKey,
        method,
        path,
        ts: (s.now ?? Date.now)(),
      });
    }
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await this.#fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new MedledgerHttpError(res.status, 'BAD_RESPONSE', `node answered ${res.status} with non-JSON`);
    }
    if (!res.ok) {
      const e = json as { code?: string; message?: string } | undefined;
      throw new MedledgerHttpError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /**
   * Submits a transaction. With `waitMs`, waits up to that long for its receipt: a node holds
   * an unsigned request a few seconds at most, so the client then asks for the receipt again
   * until `waitMs` has passed.
   */
  async submit(tx: SignedTx, opts: { waitMs?: number } = {}): Promise<SubmitResult> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    const r = await this.#req<SubmitResult>(
      'POST',
      `/v1/txs${opts.waitMs ? `?wait=${opts.waitMs}` : ''}`,
      tx,
    );
    return r.status === 'pending' ? this.#untilCommitted(r, deadline) : r;
  }

  /** Submits transactions; with `waitMs`, waits for their receipts as {@link submit} does. */
  async submitBatch(txs: SignedTx[], opts: { waitMs?: number } = {}): Promise<SubmitResult[]> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    const r = await this.#req<{ results: SubmitResult[] }>(
      'POST',
      `/v1/txs/batch${opts.waitMs ? `?wait=${opts.waitMs}` : ''}`,
      { txs },
    );
    const out: SubmitResult[] = [];
    for (const x of r.results) out.push(x.status === 'pending' ? await this.#untilCommitted(x, deadline) : x);
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
  getTx(id: string, opts: { finalWaitMs?: number } = {}): Promise<TxWithProof> {
    const q = opts.finalWaitMs ? `?final=${opts.finalWaitMs}` : '';
    return this.#req('GET', `/v1/txs/${encodeURIComponent(id)}${q}`, undefined, true);
  }

  getReceipt(id: string, waitMs = 0): Promise<Receipt> {
    return this.#req('GET', `/v1/txs/${encodeURIComponent(id)}/receipt${waitMs ? `?wait=${waitMs}` : ''}`);
  }

  /** A block with its validity codes (signed request; 401 without a signer). */
  getBlock(height: number): Promise<BlockWithCodes> {
    return this.#req('GET', `/v1/blocks/${height}`, undefined, true);
  }

  /**
   * A world-state value (signed request; 401 without a signer).
   * @throws MedledgerHttpError NOT_FOUND when the key has no value
   */
  getState<T = unknown>(key: string): Promise<{ key: string; value: T }> {
    return this.#req('GET', `/v1/state/${encodeURIComponent(key)}`, undefined, true);
  }

  /**
   * A GET of another route of the node (the feature routes: `/v1/fl/...`, ...), signed when
   * the client has a signer.
   * @throws MedledgerHttpError with the node's code on any answer but 2xx
   */
  get<T>(path: string): Promise<T> {
    return this.#req('GET', path, undefined, true);
  }

  /** The checkpoint of a committed height and the signatures of it this node holds. */
  getCheckpoint(height: number): Promise<CheckpointAt> {
    return this.#req('GET', `/v1/checkpoints/${height}`);
  }

  /** Every checkpoint signature the node stored for heights `from`..`to` (at most 500). */
  async getCheckpoints(from: number, to: number): Promise<StoredCheckpoints[]> {
    const r = await this.#req<{ checkpoints: StoredCheckpoints[] }>(
      'GET',
      `/v1/checkpoints?from=${from}&to=${to}`,
    );
    return r.checkpoints;
  }

  /** Stored blocks `from`..`to` for a peer node's sync (signed by a consortium node key). */
  async syncBlocks(from: number, to: number): Promise<{ block: Block; hash: string }[]> {
    const r = await this.#req<{ blocks: { block: Block; hash: string }[] }>(
      'GET',
      `/v1/sync/blocks?from=${from}&to=${to}`,
      undefined,
      true,
    );
    return r.blocks;
  }

  status(): Promise<Record<string, unknown> & { chainId: string; height: number }> {
    return this.#req('GET', '/v1/status');
  }

  genesis(): Promise<Genesis> {
    return this.#req('GET', '/v1/genesis');
  }
}
