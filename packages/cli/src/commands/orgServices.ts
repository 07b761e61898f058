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
    // Submitted together, so they commit in one block.
    const txs = registrationTxs(wallet, chainId, d, Date.now());
    const receipts = await Promise.all(txs.map((tx) => client.submitAndWait(tx, o.waitMs ?? 30_000)));
    const done: string[] = [];
    receipts.forEach((r, i) => {
      const type = txs[i]!.body.type;
      if (r.code !== 'OK')
        throw new Error(`${type} refused by the ledger: ${r.code}${r.message ? ` ${r.message}` : ''}`);
      done.push(type);
    });
    return done;
  } finally {
    admin.rootPrivateKey.fill(0);
  }
}
