/**
 * The node's services key, `keys/services-<org>.key.json`: sealed like the node key (scrypt +
 * AES-256-GCM under the directory's passphrase, mode 0600). It encrypts `services.sqlite`
 * (stateStore.ts). Created on the first start that runs a service; never created again once
 * service state exists, since a new key could not open it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, sealKey } from '@medledger/crypto';
import { loadPrivateKey, paths, writeKeyFile } from '../datadir.js';

/** Label of an organization's services key in a node directory. */
export const servicesKeyLabel = (org: string): string => `services-${org}`;

/**
 * Opens the sealed services key, or creates it when no service state exists yet.
 * @throws Error if the key file is missing but `services.sqlite` exists, or on a wrong passphrase
 */
export function openServicesKey(
  dir: string,
  org: string,
  passphrase: string,
  log: (s: string) => void,
): Uint8Array {
  const label = servicesKeyLabel(org);
  if (existsSync(join(paths(dir).keys, `${label}.key.json`))) return loadPrivateKey(dir, label, passphrase);
  if (existsSync(join(dir, 'services.sqlite')))
    throw new Error(`keys/${label}.key.json is missing but services.sqlite exists; restore the key file`);
  const key = randomBytes(32);
  writeKeyFile(
    dir,
    sealKey({ label, keyType: 'aes256', publicKey: new Uint8Array(0), privateKey: key, passphrase }),
  );
  log(`created the services key keys/${label}.key.json`);
  return key;
}
