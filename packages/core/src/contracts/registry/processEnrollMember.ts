/**
 * `registry.enroll`: an organization enrolls a member with an X.509 certificate it issued.
 * Signed by the organization's root key (`org:<id>`). The certificate must verify under that
 * root key, name that organization, not be a CA, be valid at the block's time, and name a
 * role the organization's role lets it issue (roles.ts: ROLE_NOT_ALLOWED).
 */
import { fromB64u, parseCertificate, toB64u, verifyCertificateIssuedBy } from '@medledger/crypto';
import { OK, fail, type Contract } from '../../contract.js';
import { memberIdOf } from '../../ids.js';
import { getOrg, memberKey, type MemberEntry } from '../../identity.js';
import { B64U, obj, onlyKeys, str } from '../../validate.js';
import { ORG_MEMBER_ROLES, mayIssueRole } from './roles.js';

export interface EnrollMemberPayload {
  certificate: string;
  encryptionKey?: string;
}

const C = 'INVALID_PAYLOAD';

export const processEnrollMember: Contract<EnrollMemberPayload> = {
  type: 'registry.enroll',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['certificate', 'encryptionKey'], 'payload', C);
    const out: EnrollMemberPayload = {
      certificate: str(p.certificate, 'payload.certificate', C, 8192, B64U),
    };
    if (p.encryptionKey !== undefined)
      out.encryptionKey = str(p.encryptionKey, 'payload.encryptionKey', C, 64, B64U);
    return out;
  },
  execute(ctx, p) {
    const signer = ctx.signers[0];
    if (ctx.signers.length !== 1 || signer?.kind !== 'org')
      return fail('UNAUTHORIZED', 'an enrollment is signed by one organization root key');
    const der = fromB64u(p.certificate);
    let info;
    try {
      info = parseCertificate(der);
    } catch (e) {
      return fail('BAD_CERTIFICATE', (e as Error).message);
    }
    if (info.org !== signer.org)
      return fail('UNAUTHORIZED', `certificate names organization ${info.org}, signer is ${signer.org}`);
    if (info.isCA) return fail('BAD_CERTIFICATE', 'a member certificate must not be a CA certificate');
    const org = getOrg(ctx.state, signer.org);
    if (!org || !verifyCertificateIssuedBy(der, fromB64u(org.rootPublicKey))) {
      return fail('BAD_CERTIFICATE', 'certificate is not signed by the organization root key');
    }
    if (ctx.time < info.notBefore || ctx.time >= info.notAfter)
      return fail('CERT_NOT_VALID', 'certificate is not valid at the block time');
    if (!mayIssueRole(org.role, info.role))
      return fail(
        'ROLE_NOT_ALLOWED',
        `an organization of role ${org.role} issues only ${ORG_MEMBER_ROLES[org.role].join(', ')}; not ${info.role}`,
      );
    const id = memberIdOf(der);
    if (ctx.state.get(memberKey(id)) !== undefined) return fail('MEMBER_EXISTS', 'member already enrolled');
    if (p.encryptionKey !== undefined && fromB64u(p.encryptionKey).length !== 32) {
      return fail('INVALID_PAYLOAD', 'payload.encryptionKey: must be a 32-byte X25519 public key');
    }
    const entry: MemberEntry = {
      id,
      org: info.org,
      role: info.role,
      commonName: info.commonName,
      attributes: info.attributes,
      publicKey: toB64u(info.publicKey),
      certificate: p.certificate,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      enrolledAt: ctx.height,
    };
    if (p.encryptionKey !== undefined) entry.encryptionKey = p.encryptionKey;
    ctx.state.put(memberKey(id), entry as never);
    ctx.emit({ type: 'member.enrolled', memberId: id, org: info.org, role: info.role });
    return OK;
  },
};
