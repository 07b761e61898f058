/**
 * `supply.product` — a manufacturer registers a medicine product (GTIN) with its approval
 * certificate: a regulator officer's P-256 signature over the product's description, its
 * manufacturer and the authorization number, bound to this chain (`statementBytes`). The
 * ledger checks the signature against the officer's enrolled key, so no manufacturer can
 * register a product the regulator did not approve, nor another manufacturer's GTIN.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getMember, getOrg } from '../../identity.js';
import { verifyStatement } from '../../statement.js';
import { B64U, HEX32, bool, int, obj, onlyKeys, str } from '../../validate.js';
import { parseGtin } from './gs1.js';
import {
  APPROVAL_TAG,
  approvalStatement,
  getProduct,
  skeys,
  type ProductApproval,
  type ProductEntry,
} from './state.js';

const C = 'INVALID_PAYLOAD';

export interface RegisterProductPayload {
  gtin: string;
  name: string;
  code: { system: string; code: string; display: string };
  unitsPerPack: number;
  controlled: boolean;
  approval: ProductApproval;
}

export const processRegisterProduct: Contract<RegisterProductPayload> = {
  type: 'supply.product',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['gtin', 'name', 'code', 'unitsPerPack', 'controlled', 'approval'], 'payload', C);
    const code = obj(p.code, 'payload.code', C);
    onlyKeys(code, ['system', 'code', 'display'], 'payload.code', C);
    const a = obj(p.approval, 'payload.approval', C);
    onlyKeys(a, ['number', 'issuer', 'issuedAt', 'signature'], 'payload.approval', C);
    return {
      gtin: parseGtin(p.gtin, 'payload.gtin'),
      name: str(p.name, 'payload.name', C, 200),
      code: {
        system: str(code.system, 'payload.code.system', C, 200),
        code: str(code.code, 'payload.code.code', C, 64),
        display: str(code.display, 'payload.code.display', C, 200),
      },
      unitsPerPack: int(p.unitsPerPack, 'payload.unitsPerPack', C, 1, 10_000),
      controlled: bool(p.controlled, 'payload.controlled', C),
      approval: {
        number: str(a.number, 'payload.approval.number', C, 64, /^[A-Za-z0-9._:@/-]+$/),
        issuer: str(a.issuer, 'payload.approval.issuer', C, 64, HEX32),
        issuedAt: int(a.issuedAt, 'payload.approval.issuedAt', C, 0, 8.64e15),
        signature: str(a.signature, 'payload.approval.signature', C, 128, B64U),
      },
    };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'member' || getOrg(ctx.state, s.org)?.role !== 'manufacturer')
      return fail('NOT_MANUFACTURER', 'a product is registered by one member of a manufacturer');
    if (getProduct(ctx.state, p.gtin)) return fail('PRODUCT_EXISTS', `GTIN ${p.gtin} is registered`);
    const officer = getMember(ctx.state, p.approval.issuer);
    if (!officer || officer.revokedAt !== undefined || getOrg(ctx.state, officer.org)?.role !== 'regulator')
      return fail('APPROVAL_INVALID', 'the approval is not issued by an enrolled regulator officer');
    const statement = approvalStatement({ ...p, manufacturer: s.org, ...p.approval });
    if (
      !verifyStatement(APPROVAL_TAG, ctx.tx.body.chainId, statement, officer.publicKey, p.approval.signature)
    )
      return fail('APPROVAL_INVALID', 'the approval signature does not cover this product and manufacturer');
    const e: ProductEntry = {
      ...p,
      manufacturer: s.org,
      issuerOrg: officer.org,
      txId: ctx.txId,
      height: ctx.height,
      time: ctx.time,
    };
    ctx.state.put(skeys.product(p.gtin), e);
    ctx.emit({ type: 'supply.product.registered', gtin: p.gtin, manufacturer: s.org });
    return OK;
  },
};
