/**
 * `medledger init --dev`: a dev consortium in one command, made with the same steps as the
 * ceremony of the README, each party in its own directory with its own passphrase:
 *   <dir>/<org>/admin/   the five organizations' admin directories (`org init`): root CA key,
 *                        root certificate, card;
 *   <dir>/<org>/node/    for the first `nodes` organizations (default 1: hospitalA), a node
 *                        directory with only that node's key, its node.json and the genesis
 *                        (`org init --node-dir`, `node init`) and a TLS certificate from its
 *                        organization (`node tls-request`, `org issue --tls`, `node tls-install`);
 *   <dir>/genesis.json   assembled from the cards and signed by every founder (`genesis
 *                        assemble`, `genesis sign`);
 *   <dir>/wallets/       the demo members' wallets, each key made by the member and certified
 *                        from a PKCS#10 request (`wallet new`, `org issue`, `wallet import-cert`);
 *   <dir>/consortium.json  the public map of these directories.
 * Each directory keeps a random passphrase in its own `dev-passphrase` (mode 0600). Members
 * are enrolled on the ledger by `start --dev` (devSeed.ts), acting as each organization.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, toHex } from '@medledger/crypto';
import { chainIdOf, type Genesis, type OrderingParams } from '@medledger/core';
import { DEV_ORGS, devMembers, devServicesFor } from '@medledger/node';
import { UsageError } from '../args.js';
import { newPassphrase, passphraseFor } from '../passphrase.js';
import { isEmptyDir } from '../dirs/files.js';
import { adminPaths, openAdmin } from '../dirs/admin.js';
import { layoutDirs, writeLayout, type DevLayout, type LayoutDirs } from '../dirs/layout.js';
import { orgInit, orgIssue, readCsrFile } from './org.js';
import { genesisAssemble, genesisSign, readGenesisFile } from './genesis.js';
import { nodeInit } from './node.js';
import { devNodeTls } from './tls.js';
import { walletImportCert, walletNew } from './wallet.js';

/** Options of {@link initDev} (`medledger init --dev`). */
export interface InitOptions {
  dir: string;
  /** How many organizations run a node, in the order hospitalA, hospitalB, gpclinic, insurer, institute. */
  nodes?: number;
  host?: string;
  /** Port of the first node; the others take the next ones. */
  port?: number;
  /** scrypt cost for key files (tests lower it). */
  scryptN?: number;
  now?: number;
  /** Nodes serve TLS (default: plain HTTP on loopback, TLS beyond it); every node gets a certificate either way. */
  tls?: boolean;
  /** The genesis's block cutter limits (default core's `DEFAULT_ORDERING`; benchmarks set the cut time). */
  ordering?: OrderingParams;
}

/** Creates the dev layout. */
export async function initDev(o: InitOptions): Promise<{ dirs: LayoutDirs; genesis: Genesis }> {
  const nodes = o.nodes ?? 1;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > DEV_ORGS.length)
    throw new UsageError(`--nodes must be 1 to ${DEV_ORGS.length}`);
  if (!isEmptyDir(o.dir)) throw new UsageError(`${o.dir} is not empty; choose another --dir`);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const now = o.now ?? Date.now();
  const scrypt = o.scryptN === undefined ? {} : { scryptN: o.scryptN };
  const entries: DevLayout['orgs'] = DEV_ORGS.map((org, i) => ({
    id: org.id,
    admin: join(org.id, 'admin'),
    ...(i < nodes ? { node: join(org.id, 'node') } : {}),
  }));
  for (const [i, org] of DEV_ORGS.entries()) {
    const e = entries[i]!;
    await orgInit({
      org: org.id,
      name: org.name,
      role: org.role,
      dir: join(o.dir, e.admin),
      ...(e.node === undefined ? {} : { nodeDir: join(o.dir, e.node) }),
      dev: true,
      now,
      ...scrypt,
    });
  }
  const genesisFile = join(o.dir, 'genesis.json');
  genesisAssemble({
    cards: entries.map((e) => adminPaths(join(o.dir, e.admin)).card),
    chainName: 'medledger-dev',
    genesisTime: now,
    ...(o.ordering === undefined ? {} : { ordering: o.ordering }),
    out: genesisFile,
  });
  // Each organization's root key is opened once, from its own directory, for its own acts.
  const admins = new Map(
    entries.map((e) => {
      const adminDir = join(o.dir, e.admin);
      return [e.id, openAdmin(adminDir, passphraseFor(adminDir))] as const;
    }),
  );
  for (const e of entries)
    genesisSign({ file: genesisFile, adminDir: join(o.dir, e.admin), admin: admins.get(e.id)! });
  entries.forEach((e, i) => {
    if (e.node === undefined) return;
    const { status } = nodeInit({
      dir: join(o.dir, e.node),
      genesis: genesisFile,
      host: o.host ?? '127.0.0.1',
      port: o.port === 0 ? 0 : (o.port ?? 7545) + i,
      services: devServicesFor(e.id, DEV_ORGS[i]!.role),
    });
    if (status.missing.length + status.bad.length > 0) throw new Error('dev genesis is not fully signed');
  });
  // TLS: each node makes its key and request; its organization issues the certificate (tls.ts).
  for (const e of entries)
    if (e.node !== undefined)
      await devNodeTls({
        nodeDir: join(o.dir, e.node),
        nodePassphrase: passphraseFor(join(o.dir, e.node)),
        adminDir: join(o.dir, e.admin),
        admin: admins.get(e.id)!,
        ...(o.tls === undefined ? {} : { tls: o.tls }),
        now,
        ...scrypt,
      });
  const layout: DevLayout = {
    version: 1,
    chainName: 'medledger-dev',
    chainId: '',
    genesis: 'genesis.json',
    wallets: 'wallets',
    orgs: entries,
  };
  const dirs = layoutDirs(o.dir, layout);
  mkdirSync(dirs.wallets, { recursive: true, mode: 0o700 });
  const walletPass = newPassphrase(dirs.wallets, true);
  for (const m of devMembers(`patient-${toHex(randomBytes(6))}`)) {
    const { csr } = await walletNew({
      dir: dirs.wallets,
      label: m.label,
      org: m.org,
      role: m.role,
      commonName: m.commonName ?? m.label,
      attributes: m.attributes ?? {},
      passphrase: walletPass,
      ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
    });
    // The organization gets the request file only, never the wallet.
    const { certificate } = await orgIssue({
      dir: dirs.admin(m.org),
      admin: admins.get(m.org)!,
      request: readCsrFile(csr),
      days: 5 * 365,
      now,
    });
    walletImportCert({ dir: dirs.wallets, label: m.label, certificate });
  }
  for (const a of admins.values()) a.rootPrivateKey.fill(0);
  const genesis = readGenesisFile(genesisFile);
  layout.chainId = chainIdOf(genesis);
  writeLayout(o.dir, layout);
  return { dirs, genesis };
}
