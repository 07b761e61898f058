/**
 * Client side of drug track and trace (contracts in core/src/contracts/supply): the regulator
 * officer's product approval, the manufacturer's registration and commissioning, EPCIS-shaped
 * ship / receive / recall events, and the HTTP client of the supply routes (pack verification,
 * recall notices).
 */
import type { SigningKey } from '../signer.js';
import type { JsonValue } from '@medledger/crypto';
import type { SignedTx, TxType } from '@medledger/core';
import { signStatement } from '@medledger/core';
import {
  APPROVAL_TAG,
  approvalStatement,
  type ProductApproval,
  type RecallNotice,
} from '@medledger/core/contracts/supply';
import { commissionEvent, receiveEvent, recallEvent, shipEvent } from '@medledger/core/contracts/supply';
import type { TxContext } from '../confidentiality.js';
import { LedgerApi } from '../ledgerApi.js';
import { API } from '../api/index.js';

type Json = { [k: string]: JsonValue };
export type PackRef = { gtin: string; serial: string };

/** A product as its manufacturer describes it. */
export interface ProductDescription {
  gtin: string;
  name: string;
  code: { system: string; code: string; display: string };
  unitsPerPack: number;
  controlled: boolean;
}

const build = (c: TxContext, type: TxType, payload: Json): SignedTx =>
  c.wallet.txFromJson({ chainId: c.chainId, type, payload, createdAt: c.createdAt ?? Date.now() });
const now = (c: TxContext): number => c.createdAt ?? Date.now();

/**
 * The approval certificate a regulator officer issues for a manufacturer's product (signed on
 * the officer's device; the ledger checks it against the officer's enrolled key).
 */
export function approveProduct(
  chainId: string,
  officer: { memberId: string; privateKey: SigningKey },
  p: ProductDescription & { manufacturer: string; number: string; issuedAt: number },
): ProductApproval {
  const gtin = p.gtin.padStart(14, '0');
  const signature = signStatement(
    APPROVAL_TAG,
    chainId,
    approvalStatement({ ...p, gtin }),
    officer.privateKey,
  );
  return { number: p.number, issuer: officer.memberId, issuedAt: p.issuedAt, signature };
}

/** `supply.product` by a member of the manufacturer. */
export function registerProductTx(c: TxContext, p: ProductDescription, approval: ProductApproval): SignedTx {
  return build(c, 'supply.product', { ...p, approval });
}

/** `supply.commission`: packs of one lot (EPCIS ADD / commissioning). */
export function commissionTx(
  c: TxContext,
  p: { gtin: string; serials: string[]; lot: string; expiry: string },
): SignedTx {
  return build(c, 'supply.commission', { event: commissionEvent({ time: now(c), ...p }) });
}

/** `supply.ship` from the signer's organization to `to` (EPCIS OBSERVE / shipping). */
export function shipTx(c: TxContext, p: { packs: PackRef[]; from: string; to: string }): SignedTx {
  return build(c, 'supply.ship', { event: shipEvent({ time: now(c), ...p }) });
}

/** `supply.receive` by the consignee (EPCIS OBSERVE / receiving). */
export function receiveTx(c: TxContext, p: { packs: PackRef[]; to: string }): SignedTx {
  return build(c, 'supply.receive', { event: receiveEvent({ time: now(c), ...p }) });
}

/** `supply.recall` of a lot by its manufacturer or a regulator. */
export function recallTx(c: TxContext, p: { gtin: string; lot: string; reason: string }): SignedTx {
  return build(c, 'supply.recall', {
    event: recallEvent({ time: now(c), gtin: p.gtin, lot: p.lot }),
    reason: p.reason,
  });
}

/** One step of a pack's custody path, as the verification answers it. */
export interface CustodyStepView {
  bizStep: string;
  org: string;
  to: string | null;
  at: string;
  height: number;
  txId: string;
}

/** A refused transaction about a pack, kept on the ledger with its validity code. */
export interface PackFlag {
  code: string;
  message: string;
  type: string;
  signer: string;
  org: string | null;
  txId: string;
  height: number;
}

/** What `GET /v1/supply/packs/:gtin/:serial` answers. */
export interface PackVerification {
  gtin: string;
  serial: string;
  /** Commissioned on the ledger by the registered manufacturer of its product. */
  authentic: boolean;
  product: { name: string; manufacturer: string; approval: string; controlled: boolean } | null;
  lot: string | null;
  expiry: string | null;
  expired: boolean;
  recalled: { reason: string; at: string; height: number } | null;
  dispensed: { pharmacy: string; at: string; height: number } | null;
  holder: string | null;
  status: string | null;
  path: CustodyStepView[];
  flags: PackFlag[];
  /** Fit to dispense: authentic, not expired, recalled or dispensed. */
  ok: boolean;
  checkedAt: string;
}

export class SupplyClient extends LedgerApi {
  /** Verifies a pack (public route). */
  verifyPack(gtin: string, serial: string): Promise<PackVerification> {
    return this.call(API.supply.verifyPack, { params: { gtin, serial } }) as Promise<PackVerification>;
  }

  /** The recall notices that reached an organization (signed request of one of its members). */
  recalls(org: string): Promise<{ org: string; recalls: RecallNotice[] }> {
    return this.call(API.supply.recalls, { params: { org } }) as Promise<{
      org: string;
      recalls: RecallNotice[];
    }>;
  }

  /** Submits a supply transaction and waits for its receipt. */
  submit(tx: SignedTx, waitMs = 30_000): ReturnType<LedgerApi['ledger']['submitAndWait']> {
    return this.ledger.submitAndWait(tx, waitMs);
  }
}
