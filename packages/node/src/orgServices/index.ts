/**
 * An organization's services, run by its node as node.json's `"services"` says (config.ts):
 * the ABE attribute authority, the anonymous-credential issuer, the BBS04 group managers and
 * the HE key custodian. Their secrets and state live sealed in `services.sqlite`
 * (stateStore.ts, under the sealed services key, servicesKey.ts): created on the first start
 * that runs a service, restored on every later one, saved after every change. Two steps:
 * {@link openOrgServiceState} (the CPU-heavy part, before the ledger follows its orderer),
 * then {@link startOrgServices} (the services over the ledger). The node only
 * runs them: registering their public keys on the ledger is the organization's administrators'
 * act, with the root key the node never holds (`medledger org services`).
 */
import { join } from 'node:path';
import { toB64u } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { AbeAuthoritySecretKey, createAbeAuthority } from '@medledger/crypto/abe';
import { RevocationRegistry, generateIssuerKeys } from '@medledger/crypto/credentials';
import { GroupManager, groupPublicKeyToBytes } from '@medledger/crypto/groupsig';
import { fromB64u, type JsonValue } from '@medledger/crypto';
import { anonKeys } from '@medledger/core/contracts/anonymity';
import { ckeys } from '@medledger/core/contracts/confidentiality';
import type { OrgServicesDescription } from '@medledger/client';
import type { LedgerView } from '../ledgerView.js';
import type { FeedCursor } from '../ledgerView.js';
import { AbeAuthorityService } from '../confidentiality/abeAuthority.js';
import { HeCustodianService } from '../confidentiality/heCustodian.js';
import { HeCustody } from '../confidentiality/heCustody.js';
import { CredentialIssuer, type IssuerState } from '../anonymity/issuer.js';
import { GroupManagerService, type GroupServiceState } from '../anonymity/groups.js';
import { groupStateFromJson, groupStateToJson } from '../anonymity/groupState.js';
import { issuerStateFromJson, issuerStateToJson } from '../anonymity/issuerState.js';
import type { OrgServicesConfig } from './config.js';
import { ServiceStateStore } from './stateStore.js';
import { openServicesKey } from './servicesKey.js';

export * from './config.js';
export { ServiceStateStore } from './stateStore.js';
export { openServicesKey, servicesKeyLabel } from './servicesKey.js';

/** Options of {@link openOrgServiceState}. */
export interface OpenOrgServiceStateOptions {
  dir: string;
  org: string;
  config: OrgServicesConfig;
  passphrase: string;
  log: (line: string) => void;
}

/**
 * The services' secrets and state, opened (or made, on the first start) from `services.sqlite`.
 * Opening does the CPU-heavy work — scrypt, the WASM engines, key generation, the checks of a
 * restored group manager — so `startNode` does it before the ledger starts following its
 * ordering service, where a blocked event loop would miss etcd's deadlines.
 */
export interface OrgServiceState {
  org: string;
  config: OrgServicesConfig;
  store?: ServiceStateStore;
  abeKey?: AbeAuthoritySecretKey;
  issuer?: IssuerState;
  groups: Map<string, GroupServiceState>;
  heHeld: Record<string, string>;
  close(): void;
}

/** Opens the configured services' sealed state (none configured: no file is created). */
export async function openOrgServiceState(o: OpenOrgServiceStateOptions): Promise<OrgServiceState> {
  const c = o.config;
  const none = !c.abeAuthority && !c.credentialIssuer && !c.heCustodian && (c.groups ?? []).length === 0;
  if (none) return { org: o.org, config: c, groups: new Map(), heHeld: {}, close: () => undefined };
  const key = openServicesKey(o.dir, o.org, o.passphrase, o.log);
  const store = ServiceStateStore.open(join(o.dir, 'services.sqlite'), key);
  key.fill(0);
  try {
    const st: OrgServiceState = {
      org: o.org,
      config: c,
      store,
      groups: new Map(),
      heHeld: (store.get('he-custody') as Record<string, string> | undefined) ?? {},
      close: () => store.close(),
    };
    if (c.abeAuthority) {
      await initPairing();
      const saved = store.get('abe') as { secretKey: string } | undefined;
      st.abeKey = saved
        ? AbeAuthoritySecretKey.fromBytes(fromB64u(saved.secretKey))
        : createAbeAuthority(o.org).secretKey;
      if (!saved) store.put('abe', { secretKey: toB64u(st.abeKey.toBytes()) });
    }
    if (c.credentialIssuer) {
      const saved = store.get('issuer');
      st.issuer = saved
        ? await issuerStateFromJson(saved)
        : {
            keys: await generateIssuerKeys(),
            registry: await RevocationRegistry.create(),
            issued: new Map(),
            revokedMembers: new Set<string>(),
            pending: [],
          };
      if (!saved) store.put('issuer', issuerStateToJson(st.issuer));
    }
    for (const g of c.groups ?? []) {
      const saved = store.get(`group:${g.id}`);
      const gs: GroupServiceState = saved
        ? groupStateFromJson(saved)
        : {
            manager: GroupManager.create(g.id),
            epochs: new Map(),
            revoked: new Set(),
            revocations: new Map(),
          };
      if (!saved) {
        gs.epochs.set(0, { gpk: gs.manager.publicKey, table: [] });
        store.put(`group:${g.id}`, groupStateToJson(gs));
      }
      st.groups.set(g.id, gs);
    }
    return st;
  } catch (e) {
    store.close();
    throw e;
  }
}

/** Options of {@link startOrgServices}. */
export interface StartOrgServicesOptions {
  state: OrgServiceState;
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

/** Starts the services whose state {@link openOrgServiceState} opened. */
export async function startOrgServices(o: StartOrgServicesOptions): Promise<OrgServices> {
  const st = o.state;
  const c = st.config;
  const org = st.org;
  const store = st.store;
  const closers: (() => Promise<void> | void)[] = [() => st.close()];
  const abe = st.abeKey ? new AbeAuthorityService({ secretKey: st.abeKey }) : undefined;
  const issuers: CredentialIssuer[] = [];
  if (st.issuer && store)
    issuers.push(
      await CredentialIssuer.create({
        node: o.node,
        org,
        nodeKey: o.nodeKey,
        keys: st.issuer.keys,
        registry: st.issuer.registry,
        restored: st.issuer,
        persist: (s) => store.put('issuer', issuerStateToJson(s)),
      }),
    );
  const groups = (c.groups ?? []).map(
    (g) =>
      new GroupManagerService({
        node: o.node,
        org,
        nodeKey: o.nodeKey,
        groupId: g.id,
        eligible: (m) => m.org === org && (g.roles === undefined || g.roles.includes(m.role)),
        restored: st.groups.get(g.id)!,
        persist: (s) => store?.put(`group:${g.id}`, groupStateToJson(s)),
      }),
  );
  let he: HeCustody | undefined;
  if (c.heCustodian && store) {
    const custodian = new HeCustodianService(o.node, o.nodeKey, { cursor: o.heCursor });
    custodian.on('error', (e: Error) => o.log(`HE custodian: ${e.message}`));
    he = new HeCustody({
      node: o.node,
      org,
      custodian,
      encryption: o.encryption,
      held: st.heHeld,
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
    describe: () => describe(org, o.encryption, abe, issuers[0], groups, c, registered),
    async catchUp() {
      for (const i of issuers)
        if (registered(anonKeys.issuer(org)))
          await i.publishPendingUpdates().catch((e: Error) => o.log(`issuer catch-up: ${e.message}`));
      for (const g of groups)
        if (registered(anonKeys.group(g.groupId)))
          await g.publishPending().catch((e: Error) => o.log(`group ${g.groupId} catch-up: ${e.message}`));
    },
    async close() {
      for (const f of closers) await f();
    },
  };
}

function describe(
  org: string,
  encryption: { publicKey: Uint8Array },
  abe: AbeAuthorityService | undefined,
  issuer: CredentialIssuer | undefined,
  groups: GroupManagerService[],
  c: OrgServicesConfig,
  registered: (k: string) => boolean,
): OrgServicesDescription {
  const d: OrgServicesDescription = { org, groups: [] };
  if (abe)
    d.abeAuthority = {
      publicKey: toB64u(abe.publicKey.toBytes()),
      registered: registered(ckeys.abeAuthority(org)),
    };
  if (issuer) {
    const s = issuer.accumulatorStatus();
    d.credentialIssuer = {
      publicKey: toB64u(issuer.publicKey),
      accumulatorPublicKey: toB64u(s.publicKey),
      accumulated: toB64u(s.accumulated),
      registered: registered(anonKeys.issuer(org)),
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
  if (c.heCustodian) d.heCustodian = { encryptionKey: toB64u(encryption.publicKey) };
  return d;
}
