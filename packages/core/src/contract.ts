/**
 * Contracts: each transaction type registers how to parse its payload and what it does to
 * the state. `execute` is a deterministic function of (state, transaction, block context); it
 * returns a validity code, and on any code but OK its writes are discarded.
 */
import { bodyMemo } from './memo.js';
import type { JsonValue } from '@medledger/crypto';
import type { ChainParams } from './genesis.js';
import type { Signer } from './identity.js';
import type { StateOverlay } from './state.js';
import type { SignedTx } from './tx.js';
import type { EventName } from './contracts/events.js';

/** An event a contract emits for subscribers (notifications); not part of consensus. */
export interface LedgerEvent {
  type: EventName;
  [k: string]: JsonValue;
}

export interface TxContext {
  state: StateOverlay;
  tx: SignedTx;
  txId: string;
  signers: readonly Signer[];
  height: number;
  /** Block time, ms since the epoch: the only clock a contract may read. */
  time: number;
  index: number;
  params: ChainParams;
  emit(event: LedgerEvent): void;
}

export type ContractResult = { code: 'OK' } | { code: string; message: string };

export const OK: ContractResult = { code: 'OK' };

export function fail(code: string, message: string): ContractResult {
  return { code, message };
}

export interface Contract<P = unknown> {
  /** Transaction type, e.g. `registry.enroll`. */
  type: string;
  /** Checks and types the payload; throws LedgerError(INVALID_PAYLOAD) naming the field. */
  parse(payload: unknown): P;
  execute(ctx: TxContext, payload: P): ContractResult;
}

/** Transaction types known to a chain. */
export class ContractRegistry {
  readonly #byType = new Map<string, Contract<unknown>>();

  register<P>(c: Contract<P>): this {
    if (this.#byType.has(c.type)) throw new Error(`contract ${c.type} registered twice`);
    this.#byType.set(c.type, c as Contract<unknown>);
    return this;
  }

  get(type: string): Contract<unknown> | undefined {
    return this.#byType.get(type);
  }

  types(): string[] {
    return [...this.#byType.keys()].sort();
  }
}

/**
 * `contract.parse(body.payload)`, memoized on the body for this payload object: a node parses
 * a payload at admission and again when it applies the block, and payloads are never mutated.
 */
export function parsePayload(contract: Contract<unknown>, body: { type: string; payload: object }): unknown {
  const m = bodyMemo(body);
  const hit = m.payload;
  if (hit && hit.of === body.payload && hit.type === contract.type) return hit.value;
  const value = contract.parse(body.payload);
  m.payload = { of: body.payload, type: contract.type, value };
  return value;
}
