/**
 * Co-signing a DSS record that needs k of its n responsible doctors, through the node's
 * mailbox (`API.cosign`; node/src/cosign/mailbox.ts). The proposer builds the body with
 * {@link RecordsClient.prepareDss} naming the co-signers, signs it here and leaves it with
 * {@link proposeDss}; each co-signer reads it with {@link listProposals}, reviews the record and
 * signs it here with {@link cosignProposal}. The node checks every signature on arrival and
 * submits the transaction once all have signed; it never holds a key.
 * @example
 * const body = await drA.prepareDss({ recordId, patient, category: 'clinical', resource, responsible: [a, b, c], k: 2 }, [b]);
 * const p = await proposeDss(drA, body);
 * // in doctor B's page:
 * const done = await cosignProposal(drB, p); // done.txId once every signer has signed
 */
import type { TxBody } from '@medledger/core';
import { API, pathOf } from '../api/index.js';
import type { RecordsClient } from '../records.js';

/** A proposal as the mailbox serves it. */
export interface CosignProposal {
  id: string;
  proposer: string;
  signers: string[];
  signed: string[];
  body: TxBody;
  status: 'open' | 'submitted' | 'expired';
  expiresAt: number;
  createdAt: number;
  txId?: string;
}

/** Signs a co-signed body as `rc`'s member (a WebCrypto key included) and leaves it at the node. */
export async function proposeDss(rc: RecordsClient, body: TxBody): Promise<CosignProposal> {
  const { sig } = await rc.wallet.signatureAsync(body);
  return rc.signed<CosignProposal>('POST', API.cosign.propose.path, { body, sig });
}

/** The proposals this member made or is named to co-sign, newest first. */
export async function listProposals(rc: RecordsClient): Promise<CosignProposal[]> {
  return (await rc.signed<{ proposals: CosignProposal[] }>('GET', API.cosign.list.path)).proposals;
}

/** One proposal (its proposer and named co-signers only). */
export function getProposal(rc: RecordsClient, id: string): Promise<CosignProposal> {
  return rc.signed<CosignProposal>('GET', pathOf(API.cosign.get, { id }));
}

/**
 * Signs a proposal here, over the body the node serves (its id is recomputed by the signature:
 * the member signs exactly what they reviewed), and sends the signature.
 */
export async function cosignProposal(rc: RecordsClient, p: CosignProposal): Promise<CosignProposal> {
  const { sig } = await rc.wallet.signatureAsync(p.body);
  return rc.signed<CosignProposal>('POST', pathOf(API.cosign.sign, { id: p.id }), { sig });
}
