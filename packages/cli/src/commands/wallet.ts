/**
 * `medledger wallet`: a member's own keys, made outside any node's or organization's
 * directory.
 *   wallet new         — a P-256 signing key and an X25519 encryption key, sealed in
 *                        `<label>.wallet.json`, and a PKCS#10 request `<label>.csr.pem` for the
 *                        organization (a patient asks for a pseudonym, `patient-<hex>`);
 *   wallet import-cert — the certificate the organization issued, checked against the wallet's
 *                        key; the member id is recorded in `members.json`;
 *   wallet show        — the wallet's public part (member id, encryption key, ...).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import {
  certificateRequestToPem,
  createCertificateRequest,
  generateEncryptionKeyPair,
  generateP256KeyPair,
  parseCertificate,
  randomBytes,
  sealWallet,
  toB64u,
  toHex,
} from '@medledger/crypto';
import { memberIdOf } from '@medledger/core';
import { UsageError } from '../args.js';
import { checkLabel, readWalletFile, upsertMember, walletPaths, writeWalletFile } from '../dirs/wallets.js';

/** Options of {@link walletNew} (`medledger wallet new`). */
export interface WalletNewOptions {
  dir: string;
  label: string;
  org: string;
  role: string;
  /** Requested common name (default: the label; for a patient a fresh pseudonym). */
  commonName?: string;
  attributes?: Record<string, string>;
  passphrase: string;
  scryptN?: number;
}

/** Creates a member's wallet and certificate request. Returns the paths and the request (DER). */
export async function walletNew(
  o: WalletNewOptions,
): Promise<{ wallet: string; csr: string; request: Uint8Array }> {
  checkLabel(o.label);
  const p = walletPaths(o.dir, o.label);
  if (existsSync(p.wallet)) throw new UsageError(`wallet ${o.label} already exists in ${o.dir}`);
  const commonName = o.commonName ?? (o.role === 'patient' ? `patient-${toHex(randomBytes(6))}` : o.label);
  const signing = generateP256KeyPair();
  const encryption = generateEncryptionKeyPair();
  const attributes = o.attributes ?? {};
  let request: Uint8Array;
  try {
    request = await createCertificateRequest({
      ...signing,
      commonName,
      org: o.org,
      role: o.role,
      attributes,
    });
  } catch (e) {
    throw new UsageError(`certificate request: ${(e as Error).message}`);
  }
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  writeWalletFile(
    o.dir,
    {
      version: 1,
      label: o.label,
      requested: { org: o.org, role: o.role, commonName, attributes },
      keys: sealWallet({
        label: o.label,
        signing,
        encryption,
        passphrase: o.passphrase,
        ...(o.scryptN === undefined ? {} : { N: o.scryptN }),
      }),
    },
    true,
  );
  writeFileSync(p.csr, certificateRequestToPem(request));
  return { wallet: p.wallet, csr: p.csr, request };
}

/**
 * Stores the issued certificate in the wallet after checking that it certifies the wallet's
 * own key. Needs no passphrase: it touches only the public part.
 */
export function walletImportCert(o: { dir: string; label: string; certificate: Uint8Array }): {
  memberId: string;
  org: string;
  role: string;
} {
  const w = readWalletFile(o.dir, o.label);
  let info;
  try {
    info = parseCertificate(o.certificate);
  } catch (e) {
    throw new UsageError(`certificate: ${(e as Error).message}`);
  }
  if (toB64u(info.publicKey) !== w.keys.signingPublicKey)
    throw new UsageError(`the certificate is not for wallet ${o.label}'s key`);
  if (info.isCA) throw new UsageError('the certificate is a CA certificate, not a member certificate');
  const memberId = memberIdOf(o.certificate);
  writeWalletFile(o.dir, { ...w, certificate: toB64u(o.certificate), memberId });
  upsertMember(o.dir, { label: o.label, memberId, org: info.org, role: info.role });
  return { memberId, org: info.org, role: info.role };
}

/** The public part of a wallet. */
export function walletShow(dir: string, label: string): Record<string, unknown> {
  const w = readWalletFile(dir, label);
  const info =
    w.certificate === undefined ? undefined : parseCertificate(Buffer.from(w.certificate, 'base64url'));
  return {
    label: w.label,
    requested: w.requested,
    signingKey: w.keys.signingPublicKey,
    encryptionKey: w.keys.encryptionPublicKey,
    ...(w.memberId === undefined ? {} : { memberId: w.memberId }),
    ...(info === undefined
      ? {}
      : {
          certificate: {
            commonName: info.commonName,
            org: info.org,
            role: info.role,
            attributes: info.attributes,
            notAfter: new Date(info.notAfter).toISOString(),
          },
        }),
  };
}

/** Reads a certificate file (DER). */
export function readCertFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new UsageError(`cannot read certificate ${path}`);
  }
}
