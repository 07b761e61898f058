/**
 * The answer for any pack (`GET /v1/supply/packs/:gtin/:serial`, `medledger verify-pack`):
 * authentic or not — commissioned on the ledger by the manufacturer that registered its
 * product with a regulator's approval —, its full custody path, whether it is recalled,
 * expired (at the node's clock) or already dispensed, and the refused transactions that
 * concern it. Everything comes from the ledger; the node adds only the clock.
 */
import { LedgerError } from '@medledger/core';
import { expiredFrom, isGtin } from '@medledger/core/contracts/supply';
import { getLot, getPack, getProduct } from '@medledger/core/contracts/supply';
import type { PackVerification } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import type { SupplyIndex } from './supplyIndex.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Verifies one pack.
 * @throws LedgerError BAD_INPUT for a malformed GTIN or serial
 */
export function verifyPack(
  node: LedgerView,
  index: SupplyIndex,
  gtinIn: string,
  serial: string,
  now: number,
): PackVerification {
  if (!isGtin(gtinIn))
    throw new LedgerError(
      { code: 'BAD_INPUT' },
      'GTIN must be 8, 12, 13 or 14 digits with a valid check digit',
    );
  if (!/^[A-Za-z0-9._-]{1,20}$/.test(serial))
    throw new LedgerError({ code: 'BAD_INPUT' }, 'serial must be 1-20 characters of [A-Za-z0-9._-]');
  const gtin = gtinIn.padStart(14, '0');
  const product = getProduct(node.store, gtin);
  const pack = getPack(node.store, gtin, serial);
  const lot = pack && getLot(node.store, gtin, pack.lot);
  const authentic =
    product !== undefined &&
    pack !== undefined &&
    pack.path[0]?.bizStep === 'commissioning' &&
    pack.path[0].org === product.manufacturer;
  const expired = pack ? now >= expiredFrom(pack.expiry) : false;
  const recall = lot?.recall ?? null;
  const out: PackVerification = {
    gtin,
    serial,
    authentic,
    product: product
      ? {
          name: product.name,
          manufacturer: product.manufacturer,
          approval: product.approval.number,
          controlled: product.controlled,
        }
      : null,
    lot: pack?.lot ?? null,
    expiry: pack?.expiry ?? null,
    expired,
    recalled: recall ? { reason: recall.reason, at: iso(recall.time), height: recall.height } : null,
    dispensed: pack?.dispensed
      ? { pharmacy: pack.dispensed.pharmacy, at: iso(pack.dispensed.time), height: pack.dispensed.height }
      : null,
    holder: pack?.holder ?? null,
    status: pack?.status ?? null,
    path: (pack?.path ?? []).map((s) => ({
      bizStep: s.bizStep,
      org: s.org,
      to: s.to,
      at: iso(s.time),
      height: s.height,
      txId: s.txId,
    })),
    flags: index.flags(gtin, serial),
    ok: false,
    checkedAt: iso(now),
  };
  out.ok = authentic && !expired && recall === null && out.dispensed === null;
  return out;
}
