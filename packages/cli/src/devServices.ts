/**
 * `medledger start --dev`: the running node's organization, acting from its own admin
 * directory in the dev layout, registers the services its node.json names (`medledger org
 * services`), so a new user can `group join` or `abe issue` at once. Services registered
 * already are left alone.
 */
import type { LayoutDirs } from './dirs/layout.js';
import { passphraseFor } from './passphrase.js';
import { orgServices } from './commands/orgServices.js';

/** Registers the dev node's services as its organization's administrator. */
export async function registerDevServices(
  url: string,
  org: string,
  dirs: LayoutDirs,
  log: (s: string) => void,
): Promise<void> {
  const admin = dirs.admin(org);
  const done = await orgServices({ dir: admin, passphrase: passphraseFor(admin), node: url });
  if (done.length > 0) log(`${org} registered its node's services: ${done.join(', ')}`);
}
