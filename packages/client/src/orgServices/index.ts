/**
 * An organization's services as its node describes them (`GET /v1/services`), and the
 * transactions by which the organization's administrators register their public keys on the
 * ledger with the root key — the node runs the services but never holds the root key.
 */
import type { SignedTx } from '@medledger/core';
import type { Wallet } from '../wallet.js';

/** `GET /v1/services`: the services a node runs, their public keys, whether registered. */
export interface OrgServicesDescription {
  org: string;
  abeAuthority?: { publicKey: string; registered: boolean };
  credentialIssuer?: {
    publicKey: string;
    accumulatorPublicKey: string;
    accumulated: string;
    registered: boolean;
  };
  groups: {
    id: string;
    description: string;
    roles?: string[];
    epoch: number;
    publicKey: string;
    registered: boolean;
  }[];
  /** The node's X25519 key that patients seal their HE key to. */
  heCustodian?: { encryptionKey: string };
}

/**
 * The registration transactions of the services not yet registered (`abe.authority`,
 * `anon.issuer.register`, `anon.group.register`), signed by the organization's root key.
 * @throws RangeError if the wallet is not `org:<the described organization>`
 * @example for (const tx of registrationTxs(orgWallet, chainId, await (await fetch(`${url}/v1/services`)).json())) ...
 */
export function registrationTxs(
  orgWallet: Wallet,
  chainId: string,
  d: OrgServicesDescription,
  createdAt: number,
): SignedTx[] {
  if (orgWallet.signerId !== `org:${d.org}`)
    throw new RangeError(`the services are ${d.org}'s: sign with org:${d.org}, not ${orgWallet.signerId}`);
  const tx = (type: string, payload: Record<string, string>): SignedTx =>
    orgWallet.tx({ chainId, type, payload, createdAt });
  const out: SignedTx[] = [];
  if (d.abeAuthority && !d.abeAuthority.registered)
    out.push(tx('abe.authority', { publicKey: d.abeAuthority.publicKey }));
  const i = d.credentialIssuer;
  if (i && !i.registered)
    out.push(
      tx('anon.issuer.register', {
        publicKey: i.publicKey,
        accumulatorPublicKey: i.accumulatorPublicKey,
        accumulated: i.accumulated,
      }),
    );
  for (const g of d.groups)
    if (!g.registered)
      out.push(
        tx('anon.group.register', { groupId: g.id, publicKey: g.publicKey, description: g.description }),
      );
  return out;
}
