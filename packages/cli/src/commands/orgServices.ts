/**
 * `medledger org services`: an organization's administrators register on the ledger, with the
 * root key from their admin directory, the public keys of the services their node runs (as
 * node.json's `"services"` says): `abe.authority`, `anon.issuer.register`,
 * `anon.group.register`. The node never holds the root key; the administrators never hold the
 * services' secrets. Services already registered are left alone, so it may run again after a
 * group is added.
 */
import { MedledgerClient, OrgServicesClient, registrationTxs } from '@medledger/client';
import { UsageError } from '../args.js';
import { openAdmin } from '../dirs/admin.js';
import { clientOptionsFor } from '../transport.js';
import { Wallet } from '@medledger/client';

/** Options of {@link orgServices}. */
export interface OrgServicesOptions {
  /** The organization's admin directory. */
  dir: string;
  passphrase: string;
  /** The URL of the organization's node. */
  node: string;
  waitMs?: number;
}

/**
 * Registers the node's unregistered services. Returns the transaction types it committed.
 * @throws UsageError if the node is another organization's; Error naming the code if the
 *   ledger refuses a registration
 */
export async function orgServices(o: OrgServicesOptions): Promise<string[]> {
  const opts = clientOptionsFor(o.node);
  const d = await new OrgServicesClient(o.node, opts).describe();
  const admin = openAdmin(o.dir, o.passphrase);
  try {
    if (d.org !== admin.org)
      throw new UsageError(`${o.node} runs ${d.org}'s services; this admin directory is ${admin.org}'s`);
    const client = new MedledgerClient(o.node, undefined, opts);
    const { chainId } = await client.status();
    const wallet = new Wallet({ signerId: `org:${admin.org}`, privateKey: admin.rootPrivateKey });
    const done: string[] = [];
    for (const tx of registrationTxs(wallet, chainId, d, Date.now())) {
      const r = await client.submitAndWait(tx, o.waitMs ?? 30_000);
      if (r.code !== 'OK')
        throw new Error(
          `${tx.body.type} refused by the ledger: ${r.code}${r.message ? ` ${r.message}` : ''}`,
        );
      done.push(tx.body.type);
    }
    return done;
  } finally {
    admin.rootPrivateKey.fill(0);
  }
}
