/**
 * Demo data for `medledger start --dev`: enrolls the dev consortium's members and anchors a
 * few record hashes, so a new user sees a ledger with content. The CLI process acts as each
 * party in turn: as each organization's administrator (its root key, from its admin
 * directory) it enrolls that organization's members; as dr-alice (her wallet) it anchors the
 * records. The node only receives signed transactions, as from anyone else. Runs once per
 * ledger.
 */
import { HashTag, canonicalBytes, hashTagged, toHex } from '@medledger/crypto';
import { getMember, type SignedTx } from '@medledger/core';
import type { MedledgerNode } from '@medledger/node';
import { passphraseFor } from './passphrase.js';
import { openAdmin } from './dirs/admin.js';
import { certificateOf, encryptionKeyOf, memberWallet, readMembers } from './dirs/wallets.js';
import type { LayoutDirs } from './dirs/layout.js';
import { enrollTx } from './commands/org.js';

/** True once the demo members are on the ledger (the seed runs once per ledger). */
export function demoSeeded(node: MedledgerNode, dirs: LayoutDirs): boolean {
  const first = readMembers(dirs.wallets)[0];
  return first === undefined || getMember(node.store, first.memberId) !== undefined;
}

async function commitAll(node: MedledgerNode, txs: SignedTx[], what: string): Promise<void> {
  const res = await node.submitBatch(txs);
  for (const r of res)
    if (r.status === 'rejected') throw new Error(`${what} rejected: ${r.error.code} ${r.error.message}`);
  for (const r of res) {
    if (r.status === 'rejected') continue;
    const receipt = await node.waitForReceipt(r.txId, 10_000);
    if (receipt?.code !== 'OK') throw new Error(`${what}: ${receipt?.code ?? 'not committed in 10 s'}`);
  }
}

/** Enrolls the dev layout's members and anchors three demo record hashes (see the module comment). */
export async function seedDemo(
  node: MedledgerNode,
  dirs: LayoutDirs,
  log: (s: string) => void,
): Promise<void> {
  const chainId = node.chainId;
  const members = readMembers(dirs.wallets);
  const enrollments: SignedTx[] = [];
  for (const org of new Set(members.map((m) => m.org))) {
    const adminDir = dirs.admin(org);
    const admin = openAdmin(adminDir, passphraseFor(adminDir));
    for (const m of members.filter((x) => x.org === org))
      enrollments.push(
        enrollTx({
          ...admin,
          chainId,
          certificate: certificateOf(dirs.wallets, m.label),
          encryptionKey: encryptionKeyOf(dirs.wallets, m.label),
        }),
      );
    admin.rootPrivateKey.fill(0);
  }
  await commitAll(node, enrollments, 'demo enrollment');
  log(
    `enrolled ${members.length} demo members (${members.map((m) => `${m.label}/${m.role}@${m.org}`).join(', ')}), each by its organization's root key`,
  );
  const alice = memberWallet(dirs.wallets, 'dr-alice', passphraseFor(dirs.wallets));
  const anchors = ['endoscopy-report', 'biopsy-result', 'discharge-letter'].map((name) =>
    alice.tx({
      chainId,
      type: 'record.anchor',
      payload: {
        recordId: `demo-${name}`,
        hash: toHex(hashTagged(HashTag.record, canonicalBytes({ demo: name }))),
      },
      createdAt: Date.now(),
    }),
  );
  await commitAll(node, anchors, 'demo anchor');
  log(`anchored ${anchors.length} demo record hashes signed by dr-alice`);
}
