/**
 * `medledger group`: membership of a BBS04 group its manager's node runs.
 *   group join   — the member asks the manager's node for its member key; the node seals it to
 *                  the member's enrolled X25519 key, the wallet opens it and keeps it sealed in
 *                  `<label>.group-<groupId>.key.json`;
 *   group revoke — an administrator of the managing organization revokes a member (the node
 *                  commits `anon.group.revoke`; the member never joins again);
 *   group open   — an administrator or auditor of the managing organization has the manager
 *                  open a group-signed transaction: the member who signed it.
 */
import { AnonymityClient } from '@medledger/client';
import { groupMemberKeyFromBytes } from '@medledger/crypto/groupsig';
import { UsageError } from '../args.js';
import { writeWalletSecret } from '../dirs/walletSecrets.js';
import { fetchOf, memberAt, type MemberServiceOptions } from './serviceMember.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** Joins a group: its member key, sealed in the wallets directory. */
export async function groupJoin(
  o: MemberServiceOptions & { group: string },
): Promise<{ group: string; epoch: number; file: string }> {
  const me = memberAt(o);
  const key = await new AnonymityClient(o.node, fetchOf(me)).groupMemberKey({ ...me, groupId: o.group });
  const { epoch } = groupMemberKeyFromBytes(key);
  const file = writeWalletSecret({
    dir: o.dir,
    label: o.label,
    name: `group-${o.group}`,
    keyType: 'bbs04-member-key',
    secret: key,
    passphrase: o.passphrase,
    ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
  });
  key.fill(0);
  return { group: o.group, epoch, file };
}

/** Revokes a member from a group (the caller is an administrator of the managing organization). */
export async function groupRevoke(
  o: MemberServiceOptions & { group: string; member: string },
): Promise<{ epoch: number }> {
  if (!HEX64.test(o.member)) throw new UsageError('--member must be a member id (64 hex digits)');
  const me = memberAt(o);
  return new AnonymityClient(o.node, fetchOf(me)).revokeGroupMember({
    ...me,
    groupId: o.group,
    memberId: o.member,
  });
}

/** Opens a group-signed transaction: the signer's member id, or null. */
export async function groupOpen(
  o: MemberServiceOptions & { group: string; tx: string },
): Promise<string | null> {
  if (!HEX64.test(o.tx)) throw new UsageError('--tx must be a transaction id (64 hex digits)');
  const me = memberAt(o);
  return new AnonymityClient(o.node, fetchOf(me)).open({ ...me, groupId: o.group, txId: o.tx });
}
