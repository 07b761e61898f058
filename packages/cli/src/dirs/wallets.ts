/**
 * A wallets directory (layout in node/src/datadir.ts): one sealed wallet file per member,
 * their certificate requests, and a public directory of who is who. Members keep it; neither
 * a node nor an organization's administrator reads the sealed part.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromB64u, openWallet, type SealedWallet, type WalletKeys } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import { UsageError } from '../args.js';
import { readJson, writeJson } from './files.js';

/** A member's wallet file. The sealed keys are authenticated; the rest is public. */
export interface WalletFile {
  version: 1;
  label: string;
  /** What the member asked for; the certificate says what the organization decided. */
  requested: { org: string; role: string; commonName: string; attributes: Record<string, string> };
  keys: SealedWallet;
  /** DER of the member certificate, base64url, once issued and imported. */
  certificate?: string;
  memberId?: string;
}

/** Public directory entry: label → member id, organization, role. No secrets. */
export interface MemberDirectoryEntry {
  label: string;
  memberId: string;
  org: string;
  role: string;
}

const LABEL = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Checks a wallet label: lowercase letters, digits and '-'. */
export function checkLabel(label: string): string {
  if (!LABEL.test(label)) throw new UsageError(`wallet label ${label}: lowercase letters, digits and '-'`);
  return label;
}

/** The files of a member's wallet in a wallets directory. */
export const walletPaths = (dir: string, label: string) => ({
  wallet: join(dir, `${checkLabel(label)}.wallet.json`),
  csr: join(dir, `${label}.csr.pem`),
  members: join(dir, 'members.json'),
});

/** True if the directory holds wallet files or a members directory. */
export function isWalletsDir(dir: string): boolean {
  return (
    existsSync(join(dir, 'members.json')) ||
    (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.wallet.json')))
  );
}

/** Reads a member's wallet file (no passphrase: the keys stay sealed). */
export function readWalletFile(dir: string, label: string): WalletFile {
  const p = walletPaths(dir, label).wallet;
  if (!existsSync(p)) throw new UsageError(`no wallet ${label} in ${dir}`);
  const w = readJson(p, 'wallet') as WalletFile;
  if (w?.version !== 1 || w.label !== label || w.keys?.kind !== 'medledger-wallet')
    throw new UsageError(`${p} is not a medledger wallet of ${label}`);
  return w;
}

/** Writes a wallet file, mode 0600 (`exclusive`: never over an existing one). */
export function writeWalletFile(dir: string, w: WalletFile, exclusive = false): void {
  writeJson(walletPaths(dir, w.label).wallet, w, { mode: 0o600, exclusive });
}

/** The public directory of the wallets (members.json); empty if there is none yet. */
export function readMembers(dir: string): MemberDirectoryEntry[] {
  const p = join(dir, 'members.json');
  return existsSync(p) ? (readJson(p, 'members directory') as MemberDirectoryEntry[]) : [];
}

/** Adds or replaces a member's entry in members.json. */
export function upsertMember(dir: string, e: MemberDirectoryEntry): void {
  const all = readMembers(dir).filter((m) => m.label !== e.label);
  writeJson(join(dir, 'members.json'), [...all, e]);
}

/** A member's opened wallet: keys, certificate and member id. */
export interface OpenedWallet {
  label: string;
  memberId: string;
  certificate: Uint8Array;
  keys: WalletKeys;
}

/**
 * Opens a member's wallet with the wallets directory's passphrase.
 * @throws UsageError if the wallet has no certificate yet (`medledger wallet import-cert`).
 */
export function openWalletFile(dir: string, label: string, passphrase: string): OpenedWallet {
  const w = readWalletFile(dir, label);
  if (w.certificate === undefined || w.memberId === undefined)
    throw new UsageError(`wallet ${label} has no certificate yet: run \`medledger wallet import-cert\``);
  return {
    label,
    memberId: w.memberId,
    certificate: fromB64u(w.certificate),
    keys: openWallet(w.keys, passphrase),
  };
}

/** A transaction signer for a member's wallet. */
export function memberWallet(dir: string, label: string, passphrase: string): Wallet {
  const w = openWalletFile(dir, label, passphrase);
  return new Wallet({ signerId: w.memberId, privateKey: w.keys.signing.privateKey });
}

/** The member's public encryption key (X25519, base64url), from the wallet's public part. */
export function encryptionKeyOf(dir: string, label: string): string {
  return readWalletFile(dir, label).keys.encryptionPublicKey;
}

/** The member's certificate (DER), from the wallet's public part. */
export function certificateOf(dir: string, label: string): Uint8Array {
  const w = readWalletFile(dir, label);
  if (w.certificate === undefined) throw new UsageError(`wallet ${label} has no certificate yet`);
  return fromB64u(w.certificate);
}
