/**
 * An organization's services as its node describes them (`GET /v1/services`), and the
 * transactions by which the organization's administrators register their public keys on the
 * ledger with the root key — the node runs the services but never holds the root key.
 */
import { envelopeToJson, sealEnvelope, utf8, type EnvelopeJson } from '@medledger/crypto';
import type { AbeUserKey } from '@medledger/crypto/abe';
import type { HeSecretKey } from '@medledger/crypto/he';
import type { SignedTx, TxType } from '@medledger/core';
import type { Wallet } from '../wallet.js';
import { API } from '../api/index.js';
import { ApiClient } from '../api/call.js';
import { openAttributeKeys } from '../confidentiality.js';

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
  const tx = (type: TxType, payload: Record<string, string>): SignedTx =>
    orgWallet.txFromJson({ chainId, type, payload, createdAt });
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

/** A member's signed-request identity at a node, with the key secrets are sealed to. */
export interface MemberAtNode {
  signerId: string;
  privateKey: Uint8Array;
  /** The member's X25519 private key (its enrolled encryption key). */
  encryptionPrivateKey: Uint8Array;
}

/**
 * What a node's services hand its members, over signed requests: the service description,
 * a member's ABE attribute keys (sealed to the member, opened here), a patient's HE key
 * deposit (sealed to the node here). Group keys and credentials: {@link AnonymityClient}.
 */
export class OrgServicesClient {
  readonly baseUrl: string;
  readonly #api: ApiClient;

  constructor(baseUrl: string, o: { fetch?: typeof fetch } = {}) {
    this.#api = new ApiClient(baseUrl, undefined, o);
    this.baseUrl = this.#api.baseUrl;
  }

  /** The services the node runs and their public keys. */
  describe(): Promise<OrgServicesDescription> {
    return this.#api.call(API.orgServices.services) as Promise<OrgServicesDescription>;
  }

  /** The member's attribute keys from the node's ABE authority, opened with the member's key. */
  async attributeKeys(me: MemberAtNode): Promise<{ org: string; attributes: string[]; keys: AbeUserKey[] }> {
    const r = (await this.#api.call(API.confidentiality.abeKeys, {}, { signer: me })) as {
      org: string;
      attributes: string[];
      sealed: EnvelopeJson;
    };
    const keys = await openAttributeKeys(r.sealed, r.org, {
      id: me.signerId,
      privateKey: me.encryptionPrivateKey,
    });
    return { org: r.org, attributes: r.attributes, keys };
  }

  /**
   * Deposits a patient's HE secret key with the node's custodian, sealed to the node's X25519
   * key from the ledger (`pubkeys:node:<org>`), never to a key the node merely states.
   */
  async depositHeKey(me: MemberAtNode, org: string, nodeX25519: Uint8Array, sk: HeSecretKey): Promise<void> {
    const sealed = await sealEnvelope({
      plaintext: sk.toBytes(),
      receivers: [{ id: `node:${org}`, publicKey: nodeX25519 }],
      aad: heCustodyAad(org, me.signerId),
    });
    await this.#api.call(
      API.orgServices.depositHeKey,
      { body: { sealed: envelopeToJson(sealed) } },
      { signer: me },
    );
  }

  /** Whether the node holds the patient's HE key in custody. */
  async holdsHeKey(me: MemberAtNode): Promise<boolean> {
    return (await this.#api.call(API.orgServices.heCustody, {}, { signer: me })).held;
  }
}

/** AAD of an HE secret key sealed to a custodian node (node confidentiality/heCustody.ts). */
export const heCustodyAad = (org: string, patient: string): Uint8Array =>
  utf8(`he-custody:${org}:${patient}`);
