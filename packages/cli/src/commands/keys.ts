/**
 * `medledger keys`: lists the key files of a directory (label, type, public-key fingerprint —
 * never a private key), or creates a new P-256 key. On a dev layout it lists the node
 * directory's keys (hospitalA's, or `--org`'s); on a wallets directory, the wallets.
 */
import { readdirSync } from 'node:fs';
import { fromB64u, generateP256KeyPair, sealKey, sha256, toHex } from '@medledger/crypto';
import { isInitialized, listKeys, writeKeyFile } from '@medledger/node';
import { UsageError } from '../args.js';
import { passphraseFor } from '../passphrase.js';
import { devLayoutAt, resolveNodeDir } from '../dirs/layout.js';
import { isWalletsDir, readWalletFile } from '../dirs/wallets.js';

const fingerprint = (b64u: string): string => toHex(sha256(fromB64u(b64u))).slice(0, 16);

/** The directory whose keys a command means: a node directory, or a dev layout's node directory. */
function keysDir(dir: string, org?: string): string {
  return isInitialized(dir) || devLayoutAt(dir) ? resolveNodeDir(dir, org) : dir;
}

export function keysList(dir: string, org?: string): string[] {
  if (isWalletsDir(dir))
    return readdirSync(dir)
      .filter((f) => f.endsWith('.wallet.json'))
      .sort()
      .map((f) => {
        const w = readWalletFile(dir, f.slice(0, -'.wallet.json'.length));
        return `${w.label.padEnd(22)} wallet  ${fingerprint(w.keys.signingPublicKey)}  x25519 ${fingerprint(w.keys.encryptionPublicKey)}  scrypt N=${w.keys.kdf.N}${w.memberId ? `  member ${w.memberId.slice(0, 12)}…` : '  (no certificate yet)'}`;
      });
  return listKeys(keysDir(dir, org)).map(
    (k) => `${k.label.padEnd(22)} ${k.keyType.padEnd(7)} ${fingerprint(k.publicKey)}  scrypt N=${k.kdf.N}`,
  );
}

export function keysNew(dir: string, label: string, org?: string): string {
  if (!/^[a-z0-9-]+$/.test(label)) throw new UsageError('key label: lowercase letters, digits and -');
  const d = keysDir(dir, org);
  const k = generateP256KeyPair();
  return writeKeyFile(
    d,
    sealKey({
      label,
      keyType: 'p256',
      publicKey: k.publicKey,
      privateKey: k.privateKey,
      passphrase: passphraseFor(d),
    }),
  );
}
