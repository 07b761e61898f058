/**
 * A member's session in the page: the wallet file opened with the passphrase in this browser
 * (scrypt and AES-GCM from @medledger/crypto's browser build). The private key stays in this
 * page's memory; requests and transactions are signed here, and nothing secret is sent.
 */
import { MedledgerClient, RecordsClient, Wallet, createKeySigner } from '@medledger/client';
import { importP256PrivateKey, openWallet, type SealedWallet } from '@medledger/crypto';

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
  /** PKCS#8 of the signing key, in this page's memory only (the record SDK signs with it). */
  pkcs8: Uint8Array;
  /** X25519 private key (opens records sealed to this member), in this page's memory only. */
  encryptionKey: Uint8Array;
  label: string;
  memberId: string;
  org: string;
  role: string;
  wallet: Wallet;
  client: MedledgerClient;
  /** The record-sharing SDK for this member, signing and opening records in this page. */
  records: RecordsClient;
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
    pkcs8: keys.signing.privateKey,
    encryptionKey: keys.encryption.privateKey,
    label: file.label,
    memberId: file.memberId!,
    org: file.requested.org,
    role: file.requested.role,
    wallet,
    client,
    records,
  };
}
