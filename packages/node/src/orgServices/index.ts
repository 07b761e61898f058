/**
 * An organization's services, run by its node as node.json's `"services"` says (config.ts):
 * the ABE attribute authority, the anonymous-credential issuer, the BBS04 group managers and
 * the HE key custodian. Their secrets and state live sealed in `services.sqlite`
 * (stateStore.ts, under the sealed services key, servicesKey.ts): created on the first start
 * that runs a service, restored on every later one, saved after every change. The node only
 * runs them: registering their public keys on the ledger is the organization's administrators'
 * act, with the root key the node never holds (`medledger org services`).
 */
import { join } from 'node:path';
import { toB64u } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { AbeAuthoritySecretKey, createAbeAuthority } from '@medledger/crypto/abe';
import { RevocationRegistry, generateIssuerKeys } from '@medledger/crypto/credentials';
import { groupPublicKeyToBytes } from '@medledger/crypto/groupsig';
import { fromB64u, type JsonValue } from '@medledger/crypto';
import { anonKeys } from '@medledger/core/contracts/anonymity/index';
import { ckeys } from '@medledger/core/contracts/confidentiality/state';
import type { OrgServicesDescription } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import type { FeedCursor } from '../ledgerView.js';
import { AbeAuthorityService } from '../confidentiality/abeAuthority.js';
import { HeCustodianService } from '../confidentiality/heCustodian.js';
import { HeCustody } from '../confidentiality/heCustody.js';
import { CredentialIssuer } from '../anonymity/issuer.js';
import { GroupManagerService } from '../anonymity/groups.js';
import { groupStateFromJson, groupStateToJson } from '../anonymity/groupState.js';
import { issuerStateFromJson, issuerStateToJson } from '../anonymity/issuerState.js';
import type { OrgServicesConfig } from './config.js';
import { ServiceStateStore } from './stateStore.js';
import { openServicesKey } from './servicesKey.js';

export * from './config.js';
export { ServiceStateStore } from './stateStore.js';
export { openServicesKey, servicesKeyLabel } from './servicesKey.js';

export interface StartOrgServicesOptions {
  dir: string;
  org: string;
  config: OrgServicesConfig;
  passphrase: string;
  node: LedgerView;
  /** PKCS#8 DER of the node key (signs accumulator updates and group revocations). */
  nodeKey: Uint8Array;
  /** The node's X25519 key pair (HE deposits are sealed to it). */
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
  /** The HE custodian's position in the feed of committed blocks. */
  heCursor: FeedCursor;
  log: (line: string) => void;
}

export type { OrgServicesDescription } from '@medledger/client';

/** The services a node runs. */
export interface OrgServices {
  abe?: AbeAuthorityService;
  issuers: CredentialIssuer[];
  groups: GroupManagerService[];
  he?: HeCustody;
  describe(): OrgServicesDescription;
  /**
   * Sends what a stopped node left unpublished (group revocations, accumulator updates), for
   * services already registered. Errors are logged, not thrown.
   */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the configured services (none: an empty set, and no file is created). */
export async function startOrgServices(o: StartOrgServicesOptions): Promise<OrgServices> {
  const c = o.config;
  const none = !c.abeAuthority && !c.credentialIssuer && !c.heCustodian && (c.groups ?? []).length === 0;
  if (none)
    return {
      issuers: [],
      groups: [],
      describe: () => ({ org: o.org, groups: [] }),
      catchUp: async () => undefined,
      close: async () => undefined,
    };
  const key = openServicesKey(o.dir, o.org, o.passphrase, o.log);
  const store = ServiceStateStore.open(join(o.dir, 'services.sqlite'), key);
  key.fill(0);
  const closers: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    let abe: AbeAuthorityService | undefined;
    if (c.abeAuthority) {
      await initPairing();
      const saved = store.get('abe') as { secretKey: string } | undefined;
      const sk = saved
        ? AbeAuthoritySecretKey.fromBytes(fromB64u(saved.secretKey))
        : createAbeAuthority(o.org).secretKey;
      if (!saved) store.put('abe', { secretKey: toB64u(sk.toBytes()) });
      abe = new AbeAuthorityService({ secretKey: sk });
    }
    const issuers: CredentialIssuer[] = [];
    if (c.credentialIssuer) {
      const saved = store.get('issuer');
      const state = saved
        ? await issuerStateFromJson(saved)
        : {
            keys: await generateIssuerKeys(),
            registry: await RevocationRegistry.create(),
            issued: new Map(),
            revokedMembers: new Set<string>(),
            pending: [],
          };
      if (!saved) store.put('issuer', issuerStateToJson(state));
      issuers.push(
        await CredentialIssuer.create({
          node: o.node,
          org: o.org,
          nodeKey: o.nodeKey,
          keys: state.keys,
          registry: state.registry,
          restored: state,
          persist: (s) => store.put('issuer', issuerStateToJson(s)),
        }),
      );
    }
    const groups = (c.groups ?? []).map((g) => {
      const name = `group:${g.id}`;
      const saved = store.get(name);
      return new GroupManagerService({
        node: o.node,
        org: o.org,
        nodeKey: o.nodeKey,
        groupId: g.id,
        eligible: (m) => m.org === o.org && (g.roles === undefined || g.roles.includes(m.role)),
        ...(saved ? { restored: groupStateFromJson(saved) } : {}),
        persist: (s) => store.put(name, groupStateToJson(s)),
      });
    });
    let he: HeCustody | undefined;
    if (c.heCustodian) {
      const custodian = new HeCustodianService(o.node, o.nodeKey, { cursor: o.heCursor });
      custodian.on('error', (e: Error) => o.log(`HE custodian: ${e.message}`));
      he = new HeCustody({
        node: o.node,
        org: o.org,
        custodian,
        encryption: o.encryption,
        held: (store.get('he-custody') as Record<string, string> | undefined) ?? {},
        persist: (held) => store.put('he-custody', held as JsonValue),
      });
      custodian.start();
      closers.unshift(() => custodian.stop());
    }
    const registered = (k: string): boolean => o.node.stateValue(k) !== undefined;
    return {
      ...(abe ? { abe } : {}),
      issuers,
      groups,
      ...(he ? { he } : {}),
      describe: () => describe(o, abe, issuers[0], groups, c, registered),
      async catchUp() {
        for (const i of issuers)
          if (registered(anonKeys.issuer(o.org)))
            await i.publishPendingUpdates().catch((e: Error) => o.log(`issuer catch-up: ${e.message}`));
        for (const g of groups)
          if (registered(anonKeys.group(g.groupId)))
            await g.publishPending().catch((e: Error) => o.log(`group ${g.groupId} catch-up: ${e.message}`));
      },
      async close() {
        for (const f of closers) await f();
      },
    };
  } catch (e) {
    store.close();
    throw e;
  }
}

function describe(
  o: StartOrgServicesOptions,
  abe: AbeAuthorityService | undefined,
  issuer: CredentialIssuer | undefined,
  groups: GroupManagerService[],
  c: OrgServicesConfig,
  registered: (k: string) => boolean,
): OrgServicesDescription {
  const d: OrgServicesDescription = { org: o.org, groups: [] };
  if (abe)
    d.abeAuthority = {
      publicKey: toB64u(abe.publicKey.toBytes()),
      registered: registered(ckeys.abeAuthority(o.org)),
    };
  if (issuer) {
    const s = issuer.accumulatorStatus();
    d.credentialIssuer = {
      publicKey: toB64u(issuer.publicKey),
      accumulatorPublicKey: toB64u(s.publicKey),
      accumulated: toB64u(s.accumulated),
      registered: registered(anonKeys.issuer(o.org)),
    };
  }
  d.groups = groups.map((g) => {
    const conf = (c.groups ?? []).find((x) => x.id === g.groupId)!;
    return {
      id: g.groupId,
      description: conf.description,
      ...(conf.roles ? { roles: conf.roles } : {}),
      epoch: g.publicKey.epoch,
      publicKey: toB64u(groupPublicKeyToBytes(g.publicKey)),
      registered: registered(anonKeys.group(g.groupId)),
    };
  });
  if (c.heCustodian) d.heCustodian = { encryptionKey: toB64u(o.encryption.publicKey) };
  return d;
}
