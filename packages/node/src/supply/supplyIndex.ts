/**
 * The supply index of a node: per pack, the refused transactions that concern it — a
 * duplicated serial (counterfeit), a shipment or receipt by an organization that does not
 * hold it, a dispense of a recalled, dispensed, expired or unknown pack. The refusals are on
 * the ledger (each transaction stays in its block with its validity code, signed by whoever
 * tried); this index only finds them by pack, and is rebuilt from the ledger at start.
 */
import type { JsonValue } from '@medledger/crypto';
import { resolveSigner, isTxOf } from '@medledger/core';
import { packUri, parsePackUri } from '@medledger/core/contracts/supply';
import type { PackFlag } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import { followTxs, type FedTx, type TxFeed } from './txFeed.js';

/** Validity codes that flag the packs of a refused transaction. */
export const FLAG_CODES: readonly string[] = [
  'DUPLICATE_SERIAL',
  'NOT_HOLDER',
  'NOT_CONSIGNEE',
  'PACK_UNKNOWN',
  'PACK_RECALLED',
  'PACK_DISPENSED',
  'PACK_EXPIRED',
];
const TYPES = ['supply.commission', 'supply.ship', 'supply.receive', 'rx.dispense'];

type Pack = { gtin: string; serial: string };

/** The packs a supply or dispense transaction names (none if its payload is malformed). */
function packsOf(t: FedTx): Pack[] {
  const p = t.tx.body.payload as { event?: { epcList?: JsonValue }; packs?: JsonValue };
  try {
    if (isTxOf(t.tx.body, 'rx.dispense'))
      return ((p.packs ?? []) as Pack[]).map((x) => ({
        gtin: String(x.gtin).padStart(14, '0'),
        serial: String(x.serial),
      }));
    return ((p.event?.epcList ?? []) as string[]).map((u, i) => parsePackUri(u, `epcList[${i}]`));
  } catch {
    return [];
  }
}

export class SupplyIndex {
  readonly #node: LedgerView;
  readonly #flags = new Map<string, PackFlag[]>();
  #feed: TxFeed | undefined;

  constructor(node: LedgerView) {
    this.#node = node;
  }

  /**
   * Replays the ledger, then follows new blocks. Optional: the first `idle()` starts it, so a
   * node that is never asked about a pack spends nothing on the index.
   */
  start(): this {
    this.#feed ??= followTxs(this.#node, TYPES, (t) => this.#onTx(t));
    return this;
  }

  /** Resolves once every block the node has announced is indexed (starting the index if needed). */
  idle(): Promise<void> {
    return this.start().#feed!.idle();
  }

  close(): void {
    this.#feed?.close();
  }

  /** The flags of a pack, oldest first, as indexed so far (`await idle()` first to be current). */
  flags(gtin: string, serial: string): PackFlag[] {
    return this.#flags.get(packUri(gtin, serial)) ?? [];
  }

  #onTx(t: FedTx): void {
    if (!FLAG_CODES.includes(t.code)) return;
    const packs = packsOf(t);
    // A pack-level refusal names its pack as gtin/serial; an event-level one concerns them all.
    const named = packs.filter((p) => t.message?.includes(`${p.gtin}/${p.serial}`) === true);
    const signer = t.tx.body.signers[0]!;
    for (const p of named.length > 0 ? named : packs) {
      const key = packUri(p.gtin, p.serial);
      const list = this.#flags.get(key) ?? [];
      if (list.some((f) => f.txId === t.txId)) continue;
      list.push({
        code: t.code,
        message: t.message ?? t.code,
        type: t.tx.body.type,
        signer,
        org: resolveSigner(this.#node.store, signer)?.org ?? null,
        txId: t.txId,
        height: t.height,
      });
      this.#flags.set(key, list);
    }
  }
}
