/**
 * `medledger keys`: lists the key files of a data directory (label, type, public key
 * fingerprint — never a private key), or creates a new P-256 key.
 */
import { fromB64u, generateP256KeyPair, sealKey, sha256, toHex } from '@medledger/crypto';
import { listKeys, writeKeyFile } from '@medledger/node';
import { UsageError } from '../args.js';
import { passphraseFor } from '../passphrase.js';

export function keysList(dir: string): string[] {
  return listKeys(dir).map((k) => {
    const fp = toHex(sha256(fromB64u(k.publicKey))).slice(0, 16);
    return `${k.label.padEnd(22)} ${k.keyType.padEnd(7)} ${fp}  scrypt N=${k.kdf.N}`;
  });
}

export function keysNew(dir: string, label: string): string {
  if (!/^[a-z0-9-]+$/.test(label)) throw new UsageError('key label: lowercase letters, digits and -');
  const k = generateP256KeyPair();
  return writeKeyFile(
    dir,
    sealKey({
      label,
      keyType: 'p256',
      publicKey: k.publicKey,
      privateKey: k.privateKey,
      passphrase: passphraseFor(dir),
    }),
  );
}
