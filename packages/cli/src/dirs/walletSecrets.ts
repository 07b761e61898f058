/**
 * Secrets a member received from its organization's services, kept beside the member's wallet
 * in the wallets directory: `<label>.<name>.key.json`, sealed under the wallets directory's
 * passphrase exactly as key files are (scrypt + AES-256-GCM, mode 0600). Names:
 * `group-<groupId>` (a BBS04 member key), `abe-<org>` (ABE attribute keys),
 * `credential-<org>` (an anonymous credential with its holder secret and witness).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openKey, sealKey, type SealedKey } from '@medledger/crypto';
import { UsageError } from '../args.js';
import { checkLabel } from './wallets.js';
import { writeJson } from './files.js';

const NAME = /^[a-z][a-z-]*-[A-Za-z0-9._:-]{1,64}$/;

/** The file of a member's received secret. */
export function walletSecretPath(dir: string, label: string, name: string): string {
  if (!NAME.test(name)) throw new UsageError(`not a wallet secret name: ${name}`);
  return join(dir, `${checkLabel(label)}.${name.replace(/:/g, '_')}.key.json`);
}

/** Seals and writes (or replaces) a received secret. Returns the file. */
export function writeWalletSecret(o: {
  dir: string;
  label: string;
  name: string;
  keyType: string;
  secret: Uint8Array;
  passphrase: string;
  scryptN?: number;
}): string {
  const f = walletSecretPath(o.dir, o.label, o.name);
  const sealed = sealKey({
    label: `${o.label}.${o.name}`,
    keyType: o.keyType,
    publicKey: new Uint8Array(0),
    privateKey: o.secret,
    passphrase: o.passphrase,
    ...(o.scryptN === undefined ? {} : { N: o.scryptN }),
  });
  writeJson(f, sealed, { mode: 0o600 });
  return f;
}

/**
 * Opens a received secret.
 * @throws UsageError if there is none; Error on a wrong passphrase
 */
export function readWalletSecret(dir: string, label: string, name: string, passphrase: string): Uint8Array {
  const f = walletSecretPath(dir, label, name);
  if (!existsSync(f)) throw new UsageError(`wallet ${label} holds no ${name}`);
  return openKey(JSON.parse(readFileSync(f, 'utf8')) as SealedKey, passphrase);
}
