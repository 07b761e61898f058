/**
 * Writes through the facade. The node never signs for a member (DESIGN.md, "who holds which
 * secret"), so a create or a Consent carries the member's signed transaction in the
 * `X-Medledger-Tx` header (base64url of its JSON); the facade checks that the transaction
 * says what the FHIR resource says, submits it and waits for its receipt.
 *
 * Headers of a write:
 *   X-Medledger-Tx            the signed transaction (required); for DSS `payload.resource` may
 *                             be left out: the facade puts the request's resource there (the
 *                             signatures cover it, so it must be the resource that was signed)
 *   X-Medledger-Salt          SPV: the 32-byte salt of the commitment, base64url
 *   X-Medledger-Architecture  dss | spv | stt, or the resource's `meta.tag` of system
 *                             {@link ARCHITECTURE_SYSTEM}; SPV when neither says
 */
import { canonicalBytes, fromB64u, fromHex, verifyCommitment, type JsonValue } from '@medledger/crypto';
import type { SignedTx } from '@medledger/core';
import type { Receipt } from '@medledger/client';
import type { FhirContext } from './context.js';
import { fhirError } from './outcome.js';

type Obj = { [k: string]: JsonValue };

/** The `meta.tag` system that chooses how a created record lives on the ledger. */
export const ARCHITECTURE_SYSTEM = 'https://medledger.dev/fhir/CodeSystem/architecture';

/** The three architectures (survey §6). */
export type Architecture = 'dss' | 'spv' | 'stt';

/** The headers of a write. */
export interface WriteHeaders {
  tx?: string | undefined;
  salt?: string | undefined;
  architecture?: string | undefined;
}

/** The architecture a create asks for: the header, else the meta.tag, else SPV. */
export function architectureOf(resource: Obj, header: string | undefined): Architecture {
  const meta = resource['meta'] as Obj | undefined;
  const tags = (Array.isArray(meta?.['tag']) ? meta['tag'] : []) as { system?: string; code?: string }[];
  const tagged = tags.filter((t) => t.system === ARCHITECTURE_SYSTEM).map((t) => t.code);
  const all = [...new Set([...(header === undefined ? [] : [header]), ...tagged])];
  if (all.length > 1)
    throw fhirError(
      'MALFORMED_REQUEST',
      'X-Medledger-Architecture and meta.tag name different architectures',
    );
  const a = all[0] ?? 'spv';
  if (a !== 'dss' && a !== 'spv' && a !== 'stt')
    throw fhirError('MALFORMED_REQUEST', `the architecture must be dss, spv or stt (${ARCHITECTURE_SYSTEM})`);
  return a;
}

/** The signed transaction of the `X-Medledger-Tx` header, of type `type`. */
export function txOf(header: string | undefined, type: string): SignedTx {
  if (header === undefined)
    throw fhirError(
      'MALFORMED_REQUEST',
      `this write needs the member's signed ${type} transaction in the X-Medledger-Tx header (base64url of its JSON): the node does not sign for members`,
    );
  let tx: SignedTx;
  try {
    tx = JSON.parse(Buffer.from(fromB64u(header)).toString('utf8')) as SignedTx;
  } catch {
    throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Tx is not base64url of a JSON transaction');
  }
  if (
    typeof tx !== 'object' ||
    tx === null ||
    typeof tx.body !== 'object' ||
    tx.body === null ||
    tx.body.type !== type
  )
    throw fhirError('MALFORMED_REQUEST', `X-Medledger-Tx must be a ${type} transaction`);
  if (typeof tx.body.payload !== 'object' || tx.body.payload === null)
    throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Tx has no payload');
  return tx;
}

/**
 * Submits a transaction and waits for its receipt.
 * @throws the node's admission error; TX_NOT_COMMITTED; TX_REJECTED with the contract's code
 */
export async function submitAndWait(ctx: FhirContext, tx: SignedTx): Promise<Receipt> {
  const node = ctx.records.node;
  const s = await node.submit(tx);
  const receipt = s.status === 'committed' ? s.receipt : await node.waitForReceipt(s.txId, ctx.commitWaitMs);
  if (!receipt)
    throw fhirError('TX_NOT_COMMITTED', `transaction ${s.txId} did not commit within ${ctx.commitWaitMs} ms`);
  if (receipt.code !== 'OK')
    throw fhirError(
      'TX_REJECTED',
      `the ledger refused transaction ${s.txId}: ${receipt.code}${receipt.message ? ` (${receipt.message})` : ''}`,
    );
  await ctx.records.sync();
  return receipt;
}

/** Checks an SPV transaction against the resource and salt: same commitment. */
export function checkSpvTx(tx: SignedTx, resource: Obj, saltHeader: string | undefined): Uint8Array {
  if (saltHeader === undefined)
    throw fhirError('MALFORMED_REQUEST', 'an SPV create needs X-Medledger-Salt (base64url, 32 bytes)');
  let salt: Uint8Array;
  try {
    salt = fromB64u(saltHeader);
  } catch {
    throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Salt is not base64url');
  }
  if (salt.length !== 32) throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Salt must be 32 bytes');
  const c = tx.body.payload['commitment'];
  let ok = false;
  try {
    ok = typeof c === 'string' && verifyCommitment(fromHex(c), canonicalBytes(resource), salt);
  } catch {
    ok = false;
  }
  if (!ok)
    throw fhirError(
      'MALFORMED_REQUEST',
      'the record.spv commitment does not open to this resource with this salt',
    );
  return salt;
}
