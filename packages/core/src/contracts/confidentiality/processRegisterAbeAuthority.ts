/**
 * `abe.authority` — an organization registers (or rotates) its public key as the attribute
 * authority for `<name>@<org>` attributes (multi-authority CP-ABE, Rouselakis–Waters 2015;
 * survey §6.2.2). Signed by the organization's root key, so encryptors take authority keys
 * from the ledger instead of trusting whoever hands them one (the impostor-authority threat
 * of crypto/docs/confidentiality.md). The key's framing and its authority name are checked
 * here; its points are checked by every encryptor when it decodes the key.
 */
import { GT_BYTES, G2_BYTES } from '@medledger/crypto/pairing';
import { OK, fail, type Contract } from '../../contract.js';
import { obj, onlyKeys } from '../../validate.js';
import { C, b64, ckeys, framed, framedString, getAbeAuthority, type AbeAuthorityEntry } from './state.js';

export interface RegisterAbeAuthorityPayload {
  /** `AbeAuthorityPublicKey.toBytes()`, base64url. */
  publicKey: string;
}

export const processRegisterAbeAuthority: Contract<RegisterAbeAuthorityPayload & { authority: string }> = {
  type: 'abe.authority',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['publicKey'], 'payload', C);
    const f = framed(
      b64(p.publicKey, 'payload.publicKey', 1024),
      'ml-abe-apk/1',
      [undefined, GT_BYTES, G2_BYTES],
      'payload.publicKey',
    );
    return { publicKey: p.publicKey as string, authority: framedString(f[0]!, 'payload.publicKey') };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || s?.kind !== 'org')
      return fail('UNAUTHORIZED', 'an attribute authority key is registered by its organization root key');
    if (p.authority !== s.org)
      return fail('UNAUTHORIZED', `the key names authority ${p.authority}, the signer is ${s.org}`);
    const prev = getAbeAuthority(ctx.state, s.org);
    const entry: AbeAuthorityEntry = {
      org: s.org,
      publicKey: p.publicKey,
      version: (prev?.version ?? 0) + 1,
      txId: ctx.txId,
      height: ctx.height,
    };
    ctx.state.put(ckeys.abeAuthority(s.org), entry);
    ctx.emit({ type: 'abe.authority.registered', org: s.org, version: entry.version });
    return OK;
  },
};
