/**
 * A member's session in the page, from one of two places:
 * - a wallet file opened with its passphrase in this browser (scrypt and AES-GCM from
 *   @medledger/crypto's browser build): the private key stays in this page's memory;
 * - a key made in this browser (browserKey.ts): a non-extractable WebCrypto key that signs,
 *   and the encryption key unsealed with the member's passphrase.
 * Requests and transactions are signed here, and nothing secret is sent.
 */
import {
  MedledgerClient,
  RecordsClient,
  Wallet,
  createKeySigner,
  createWebCryptoSigner,
  type RequestKey,
  type WebCryptoKeyPair,
} from '@medledger/client';
import { importP256PrivateKey, openKey, openWallet, type SealedWallet } from '@medledger/crypto';
import type { BrowserIdentity } from './browserKey.js';

/** The public part of a member's wallet file (`<label>.wallet.json`); the keys stay sealed. */
export interface WalletFile {
  version: 1;
  label: string;
  requested: { org: string; role: string; commonName: string };
  keys: SealedWallet;
  certificate?: string;
  memberId?: string;
}

export interface Session {
  /**
   * What signs this member's requests: the imported wallet key (in this page's memory only),
   * or a signer over the browser's non-extractable WebCrypto key.
   */
  signingKey: RequestKey;
  /** X25519 private key (opens records sealed to this member), in this page's memory only. */
  encryptionKey: Uint8Array;
  /** Where the key lives: a wallet file, or this browser. */
  source: 'wallet' | 'browser';
  label: string;
  memberId: string;
  org: string;
  role: string;
  wallet: Wallet;
  client: MedledgerClient;
  /** The record-sharing SDK for this member, signing and opening records in this page. */
  records: RecordsClient;
  /** Signs out: wipes the keys this page holds in memory. */
  close(): void;
}

/** Why a file is not a wallet this page can open, or undefined. */
export function walletFileProblem(v: unknown): string | undefined {
  const w = v as Partial<WalletFile> | null;
  if (typeof w !== 'object' || w === null || w.version !== 1) return 'This is not a medledger wallet file.';
  if ((w.keys as { kind?: string } | undefined)?.kind !== 'medledger-wallet')
    return 'This file holds no sealed medledger wallet.';
  if (typeof w.memberId !== 'string' || typeof w.certificate !== 'string')
    return 'This wallet has no certificate yet: ask your organization to certify it first.';
  return undefined;
}

/**
 * Opens a wallet file with its passphrase, in this page.
 * @throws Error with a message for a person: wrong passphrase, not a wallet
 */
export function openSession(text: string, passphrase: string, baseUrl: string): Session {
  let file: WalletFile;
  try {
    file = JSON.parse(text) as WalletFile;
  } catch {
    throw new Error('This file is not JSON: choose the .wallet.json file of your wallet.');
  }
  const problem = walletFileProblem(file);
  if (problem) throw new Error(problem);
  let keys;
  try {
    keys = openWallet(file.keys, passphrase);
  } catch {
    throw new Error('The passphrase does not open this wallet. Check it and try again.');
  }
  const key = importP256PrivateKey(keys.signing.privateKey);
  const wallet = new Wallet({ signerId: file.memberId!, signer: createKeySigner(key) });
  const client = new MedledgerClient(baseUrl, { signerId: file.memberId!, privateKey: key });
  const records = new RecordsClient({
    baseUrl,
    signerId: file.memberId!,
    privateKey: keys.signing.privateKey,
    encryptionKey: keys.encryption.privateKey,
    waitMs: 15_000,
  });
  return {
    signingKey: key,
    encryptionKey: keys.encryption.privateKey,
    source: 'wallet',
    label: file.label,
    memberId: file.memberId!,
    org: file.requested.org,
    role: file.requested.role,
    wallet,
    client,
    records,
    close: () => {
      keys.signing.privateKey.fill(0);
      keys.encryption.privateKey.fill(0);
    },
  };
}

/**
 * Opens the session of a key made in this browser, once its certificate is issued: the
 * signing key stays a non-extractable CryptoKey; the encryption key is unsealed with the
 * passphrase.
 * @throws Error with a message for a person: no certificate yet, wrong passphrase
 */
export async function openBrowserSession(
  i: BrowserIdentity,
  passphrase: string,
  baseUrl: string,
): Promise<Session> {
  if (i.memberId === undefined || i.certificate === undefined)
    throw new Error('Your organization has not certified this key yet.');
  let encryptionKey: Uint8Array;
  try {
    encryptionKey = openKey(i.encryption, passphrase);
  } catch {
    throw new Error('The passphrase does not open the key kept in this browser. Check it and try again.');
  }
  const signer = await createWebCryptoSigner(i.keys as unknown as WebCryptoKeyPair);
  const memberId = i.memberId;
  const wallet = new Wallet({ signerId: memberId, signer });
  const client = new MedledgerClient(baseUrl, { signerId: memberId, privateKey: signer });
  const records = new RecordsClient({
    baseUrl,
    signerId: memberId,
    privateKey: signer,
    encryptionKey,
    waitMs: 15_000,
  });
  return {
    signingKey: signer,
    encryptionKey,
    source: 'browser',
    label: i.label,
    memberId,
    org: i.org,
    role: i.role,
    wallet,
    client,
    records,
    close: () => encryptionKey.fill(0),
  };
}
