/**
 * `medledger credential`: anonymous credentials (BBS, with revocation) of an organization's
 * issuer, run by its node.
 *   credential issue  — blind issuance over a holder secret made here; the node seals the
 *                       credential and its witness to the member's enrolled X25519 key; the
 *                       wallet keeps them sealed in `<label>.credential-<org>.key.json`;
 *   credential revoke — an administrator of the issuing organization revokes every credential
 *                       of a member, and the issuer issues that member none again.
 */
import { canonicalBytes, toB64u } from '@medledger/crypto';
import { credentialToJson } from '@medledger/crypto/credentials';
import { AnonymityClient } from '@medledger/client';
import { UsageError } from '../args.js';
import { writeWalletSecret } from '../dirs/walletSecrets.js';
import { fetchOf, memberAt, type MemberServiceOptions } from './serviceMember.js';

/** Obtains a credential of `issuer` (the member's organization) into the wallets directory. */
export async function credentialIssue(
  o: MemberServiceOptions & { issuer: string },
): Promise<{ issuer: string; role: string; expiresAt: number; file: string }> {
  const me = memberAt(o);
  const held = await new AnonymityClient(o.node, fetchOf(me)).requestCredential({ ...me, issuer: o.issuer });
  const file = writeWalletSecret({
    dir: o.dir,
    label: o.label,
    name: `credential-${o.issuer}`,
    keyType: 'bbs-credential',
    secret: canonicalBytes({
      credential: credentialToJson(held.credential),
      witness: toB64u(held.witness),
      seq: held.seq,
    }),
    passphrase: o.passphrase,
    ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
  });
  return { issuer: o.issuer, role: held.credential.role, expiresAt: held.credential.expiresAt, file };
}

/** Revokes a member's credentials (the caller is an administrator of the issuing organization). */
export async function credentialRevoke(
  o: MemberServiceOptions & { issuer: string; member: string },
): Promise<{ revoked: number }> {
  if (!/^[0-9a-f]{64}$/.test(o.member)) throw new UsageError('--member must be a member id (64 hex digits)');
  const me = memberAt(o);
  return new AnonymityClient(o.node, fetchOf(me)).revokeCredentials({
    ...me,
    issuer: o.issuer,
    memberId: o.member,
  });
}
