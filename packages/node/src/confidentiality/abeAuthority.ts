/**
 * An organization's ABE attribute authority (multi-authority CP-ABE, RW15): it issues its own
 * members the keys of the `<name>@<org>` attributes they hold, bound to their member id as
 * GID, off-chain. Which attributes a member holds comes from the member's certificate on the
 * ledger: the role (`doctor@hospitalB`) and the values of the certificate attributes named in
 * `attributeFields` (default `department`, `specialty`: `oncology@hospitalB`). Keys are sealed
 * to the member's enrolled X25519 key, so only the member can open them.
 *
 * The authority's public key is registered on the ledger with `abe.authority`, signed by the
 * organization's root key (the organization's administrator does that with the client's
 * `abeAuthorityTx`; this service never holds the root key).
 */
import { envelopeToJson, sealEnvelope, toB64u, fromB64u, utf8, type EnvelopeJson } from '@medledger/crypto';
import { isAttribute } from '@medledger/crypto/abe-policy';
import {
  issueAbeUserKey,
  type AbeAuthorityPublicKey,
  type AbeAuthoritySecretKey,
} from '@medledger/crypto/abe';
import type { MemberEntry } from '@medledger/core';

export interface AbeAuthorityOptions {
  secretKey: AbeAuthoritySecretKey;
  /** Certificate attribute names whose values become attributes (default department, specialty). */
  attributeFields?: string[];
}

export class AbeAuthorityService {
  readonly org: string;
  readonly #sk: AbeAuthoritySecretKey;
  readonly #fields: string[];
  #publicKey: AbeAuthorityPublicKey | undefined;

  /** The authority's public key (what `abe.authority` registers). */
  get publicKey(): AbeAuthorityPublicKey {
    return (this.#publicKey ??= this.#sk.publicKey());
  }

  constructor(o: AbeAuthorityOptions) {
    this.#sk = o.secretKey;
    this.org = o.secretKey.authority;
    this.#fields = o.attributeFields ?? ['department', 'specialty'];
  }

  /** The attributes this authority attests for a member (none for other organizations). */
  attributesOf(m: MemberEntry): string[] {
    if (m.org !== this.org || m.revokedAt !== undefined) return [];
    const names = [m.role, ...this.#fields.map((f) => m.attributes[f]).filter((v): v is string => !!v)];
    return [...new Set(names.map((n) => `${n}@${this.org}`))].filter(isAttribute).sort();
  }

  /**
   * Issues and seals a member's attribute keys (GID = member id).
   * @throws Error if the member has no attribute here or no encryption key.
   */
  async issue(m: MemberEntry): Promise<{ gid: string; attributes: string[]; sealed: EnvelopeJson }> {
    const attributes = this.attributesOf(m);
    if (attributes.length === 0) throw new Error(`${this.org} attests no attribute for this member`);
    if (m.encryptionKey === undefined) throw new Error('the member has no encryption key');
    const keys = attributes.map((a) => toB64u(issueAbeUserKey(this.#sk, m.id, a).toBytes()));
    const sealed = await sealEnvelope({
      plaintext: utf8(JSON.stringify(keys)),
      receivers: [{ id: m.id, publicKey: fromB64u(m.encryptionKey) }],
      aad: utf8(`abe-keys:${this.org}`),
    });
    return { gid: m.id, attributes, sealed: envelopeToJson(sealed) };
  }
}
