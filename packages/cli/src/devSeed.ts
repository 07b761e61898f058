/**
 * Demo data for `medledger start --dev`: enrolls the dev consortium's members (each signed by
 * its organization's root key) and anchors a few record hashes, so a new user sees a ledger
 * with content. Runs only on an empty ledger.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashTag, canonicalBytes, hashTagged, toB64u, toHex } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import { getMember } from '@medledger/core';
import { loadPrivateKey, paths, readSealedKey, type MedledgerNode } from '@medledger/node';
import type { MemberDirectoryEntry } from './commands/init.js';

export function readMembers(dir: string): MemberDirectoryEntry[] {
  return JSON.parse(readFileSync(join(dir, 'members.json'), 'utf8')) as MemberDirectoryEntry[];
}

export function memberWallet(dir: string, label: string, passphrase: string): Wallet {
  const m = readMembers(dir).find((x) => x.label === label);
  if (!m) throw new Error(`no member ${label} in ${dir}/members.json`);
  return new Wallet({ signerId: m.memberId, privateKey: loadPrivateKey(dir, label, passphrase) });
}

export function orgWallet(dir: string, org: string, passphrase: string): Wallet {
  return new Wallet({ signerId: `org:${org}`, privateKey: loadPrivateKey(dir, `org-${org}`, passphrase) });
}

/** True once the demo members are on the ledger (the seed runs once per ledger). */
export function demoSeeded(node: MedledgerNode, dir: string): boolean {
  const first = readMembers(dir)[0];
  return first === undefined || getMember(node.store, first.memberId) !== undefined;
}

export async function seedDemo(
  node: MedledgerNode,
  dir: string,
  passphrase: string,
  log: (s: string) => void,
): Promise<void> {
  const chainId = node.chainId;
  const members = readMembers(dir);
  const enrollments = members.map((m) => {
    const cert = readFileSync(join(paths(dir).certs, `${m.label}.der`));
    const enc = readSealedKey(dir, `${m.label}-enc`).publicKey;
    return orgWallet(dir, m.org, passphrase).tx({
      chainId,
      type: 'registry.enroll',
      payload: { certificate: toB64u(cert), encryptionKey: enc },
      createdAt: Date.now(),
    });
  });
  const res = await node.submitBatch(enrollments);
  for (const r of res)
    if (r.status === 'rejected')
      throw new Error(`demo enrollment rejected: ${r.error.code} ${r.error.message}`);
  for (const r of res) if (r.status !== 'rejected') await node.waitForReceipt(r.txId, 10_000);
  log(
    `enrolled ${members.length} demo members (${members.map((m) => `${m.label}/${m.role}@${m.org}`).join(', ')})`,
  );
  const alice = memberWallet(dir, 'dr-alice', passphrase);
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
  const ar = await node.submitBatch(anchors);
  for (const r of ar) if (r.status !== 'rejected') await node.waitForReceipt(r.txId, 10_000);
  log(`anchored ${anchors.length} demo record hashes signed by dr-alice`);
}
