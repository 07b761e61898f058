/**
 * Typed HTTP client for a medledger node. Errors from the node arrive as `{ code, message }`
 * and are thrown as `MedledgerHttpError` with the same code.
 */
import type { BlockHeader, Genesis, SignedTx, TxInclusionProof } from '@medledger/core';

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
}

export class MedledgerHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MedledgerHttpError';
  }
}

export class MedledgerClient {
  readonly baseUrl: string;
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  async #req<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${this.baseUrl}${path}`, init);
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

  submit(tx: SignedTx, opts: { waitMs?: number } = {}): Promise<SubmitResult> {
    return this.#req('POST', `/v1/txs${opts.waitMs ? `?wait=${opts.waitMs}` : ''}`, tx);
  }

  async submitBatch(txs: SignedTx[], opts: { waitMs?: number } = {}): Promise<SubmitResult[]> {
    const r = await this.#req<{ results: SubmitResult[] }>(
      'POST',
      `/v1/txs/batch${opts.waitMs ? `?wait=${opts.waitMs}` : ''}`,
      { txs },
    );
    return r.results;
  }

  /** Submits and waits for the receipt; throws if rejected or not committed in time. */
  async submitAndWait(tx: SignedTx, waitMs = 30_000): Promise<Receipt> {
    const r = await this.submit(tx, { waitMs });
    if (r.status === 'committed') return r.receipt;
    if (r.status === 'rejected') throw new MedledgerHttpError(400, r.error.code, r.error.message);
    throw new MedledgerHttpError(504, 'TIMEOUT', `transaction ${r.txId} not committed within ${waitMs} ms`);
  }

  getTx(id: string): Promise<TxWithProof> {
    return this.#req('GET', `/v1/txs/${encodeURIComponent(id)}`);
  }

  getReceipt(id: string, waitMs = 0): Promise<Receipt> {
    return this.#req('GET', `/v1/txs/${encodeURIComponent(id)}/receipt${waitMs ? `?wait=${waitMs}` : ''}`);
  }

  getBlock(height: number): Promise<{
    block: { header: BlockHeader; txs: SignedTx[]; proposerSig: string };
    hash: string;
    codes: string[];
  }> {
    return this.#req('GET', `/v1/blocks/${height}`);
  }

  status(): Promise<Record<string, unknown> & { chainId: string; height: number }> {
    return this.#req('GET', '/v1/status');
  }

  genesis(): Promise<Genesis> {
    return this.#req('GET', '/v1/genesis');
  }
}
