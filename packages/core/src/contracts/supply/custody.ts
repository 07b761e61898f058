/**
 * Rules shared by the custody contracts: who may take part in the supply chain, and the
 * custody checks of one pack (exists, held by the signer's organization, in stock).
 */
import { fail, type ContractResult, type TxContext } from '../../contract.js';
import { getOrg } from '../../identity.js';
import { getLot, getPack, type PackEntry } from './state.js';

/** Organization roles that hold stock. */
export const SUPPLY_ROLES: readonly string[] = ['manufacturer', 'distributor', 'pharmacy'];

/** The signing member's organization, if it is one member of a supply-chain organization. */
export function supplySigner(ctx: TxContext): { id: string; org: string } | undefined {
  const s = ctx.signers[0];
  if (ctx.signers.length !== 1 || s?.kind !== 'member') return undefined;
  const role = getOrg(ctx.state, s.org)?.role;
  return role !== undefined && SUPPLY_ROLES.includes(role) ? { id: s.id, org: s.org } : undefined;
}

/**
 * The pack, if `org` holds it in stock; otherwise the refusal: PACK_UNKNOWN (never
 * commissioned: not authentic), PACK_DISPENSED, PACK_IN_TRANSIT, or NOT_HOLDER.
 */
export function heldPack(
  ctx: TxContext,
  org: string,
  gtin: string,
  serial: string,
): { pack: PackEntry; recalled: boolean } | ContractResult {
  const pack = getPack(ctx.state, gtin, serial);
  if (!pack) return fail('PACK_UNKNOWN', `no pack ${gtin}/${serial} was commissioned: not authentic`);
  if (pack.status === 'dispensed') return fail('PACK_DISPENSED', `pack ${gtin}/${serial} was dispensed`);
  if (pack.holder !== org)
    return fail('NOT_HOLDER', `pack ${gtin}/${serial} is held by another organization, not ${org}`);
  if (pack.status === 'in_transit')
    return fail('PACK_IN_TRANSIT', `pack ${gtin}/${serial} is in transit to ${pack.to ?? '?'}`);
  return { pack, recalled: getLot(ctx.state, gtin, pack.lot)?.recall != null };
}

/** Narrows a {@link heldPack} result. */
export const isRefusal = (r: object): r is ContractResult => 'code' in r;
