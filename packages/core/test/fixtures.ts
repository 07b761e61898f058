/** Test fixtures for the core: a small consortium built with the crypto package only. */
import {
  createOrgRootCertificate,
  generateP256KeyPair,
  issueMemberCertificate,
  randomBytes,
  signP256,
  toB64u,
  type JsonValue,
  type P256KeyPair,
} from '@medledger/crypto';
import {
  DEFAULT_PARAMS,
  blockHashOf,
  chainIdOf,
  signGenesis,
  type OrgRole,
  type Governance,
  createTxBody,
  defaultContracts,
  genesisHeader,
  genesisStateDigest,
  genesisWrites,
  memberIdOf,
  signBlockHeader,
  signTxBody,
  txRootOf,
  applyBlock,
  countsAsCommitted,
  type Block,
  type BlockHeader,
  type Genesis,
  type SignedTx,
  type StateReader,
  type ApplyResult,
} from '../src/index.js';

export const T0 = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;

export interface Member {
  id: string;
  keys: P256KeyPair;
  cert: Uint8Array;
}

export interface Fixture {
  genesis: Genesis;
  chainId: string;
  orgs: Record<string, { root: P256KeyPair; cert: Uint8Array; node: P256KeyPair }>;
  member(
    org: string,
    role: string,
    name: string,
    validity?: { notBefore: number; notAfter: number },
  ): Promise<Member>;
}

export async function makeFixture(
  orgIds: string[] = ['hospitalA', 'hospitalB'],
  roles: Record<string, OrgRole> = {},
  opts: { nodeOrgs?: string[]; governance?: Partial<Governance> } = {},
): Promise<Fixture> {
  const orgs: Fixture['orgs'] = {};
  for (const id of orgIds) {
    const root = generateP256KeyPair();
    const cert = await createOrgRootCertificate({
      org: id,
      ...root,
      notBefore: T0 - DAY,
      notAfter: T0 + 3650 * DAY,
    });
    orgs[id] = { root, cert, node: generateP256KeyPair() };
  }
  const genesis: Genesis = {
    chainName: 'test',
    genesisTime: T0,
    orgs: orgIds.map((id) => ({
      id,
      name: id,
      role: roles[id] ?? 'cdo',
      rootCertificate: toB64u(orgs[id]!.cert),
      ...((opts.nodeOrgs ?? orgIds).includes(id) ? { nodeKey: toB64u(orgs[id]!.node.publicKey) } : {}),
    })),
    governance: {
      founders: opts.governance?.founders ?? [...orgIds],
      threshold:
        opts.governance?.threshold ?? Math.floor((opts.governance?.founders ?? orgIds).length / 2) + 1,
    },
    ordering: { maxTxs: 100, maxBytes: 1 << 20, timeoutMs: 10 },
    params: DEFAULT_PARAMS,
    signatures: [],
  };
  genesis.signatures = genesis.governance.founders.map((id) =>
    signGenesis(genesis, id, orgs[id]!.root.privateKey),
  );
  return {
    genesis,
    chainId: chainIdOf(genesis),
    orgs,
    async member(org, role, name, validity) {
      const keys = generateP256KeyPair();
      const cert = await issueMemberCertificate({
        issuerCertificate: orgs[org]!.cert,
        issuerPrivateKey: orgs[org]!.root.privateKey,
        subjectPublicKey: keys.publicKey,
        commonName: name,
        org,
        role,
        notBefore: validity?.notBefore ?? T0 - DAY,
        notAfter: validity?.notAfter ?? T0 + 365 * DAY,
      });
      return { id: memberIdOf(cert), keys, cert };
    },
  };
}

/** Two hospitals, a GP clinic, an insurer and a research institute, with their roles. */
export async function makeHealthcareFixture(): Promise<Fixture> {
  return makeFixture(['hospitalA', 'hospitalB', 'gpclinic', 'insurer', 'institute'], {
    insurer: 'insurer',
    institute: 'research',
  });
}

/** A transaction signed by each of `signers` ([id, private key]). */
export function makeTx(
  chainId: string,
  type: string,
  payload: { [k: string]: JsonValue },
  signers: [string, Uint8Array][],
  createdAt: number,
): SignedTx {
  const body = createTxBody({
    chainId,
    type,
    payload,
    signers: signers.map((s) => s[0]),
    nonce: randomBytes(16),
    createdAt,
  });
  const byId = new Map(signers);
  return { body, signatures: body.signers.map((id) => signTxBody(body, id, byId.get(id)!)) };
}

export function enrollTx(
  f: Fixture,
  org: string,
  m: Member,
  at: number,
  encryptionKey?: Uint8Array,
): SignedTx {
  const payload: { [k: string]: JsonValue } = { certificate: toB64u(m.cert) };
  if (encryptionKey) payload.encryptionKey = toB64u(encryptionKey);
  return makeTx(f.chainId, 'registry.enroll', payload, [[`org:${org}`, f.orgs[org]!.root.privateKey]], at);
}

/** A chain in memory: applies blocks the way a node does, without storage. */
export class MemChain {
  readonly state = new Map<string, JsonValue>();
  readonly committed = new Set<string>();
  head: BlockHeader;
  digest: string;
  readonly reader: StateReader = {
    get: (k) => this.state.get(k),
    hasCommittedTx: (id) => this.committed.has(id),
  };

  constructor(
    readonly f: Fixture,
    readonly proposer = Object.keys(f.orgs)[0]!,
  ) {
    for (const [k, v] of genesisWrites(f.genesis)) if (v !== null) this.state.set(k, v);
    this.head = genesisHeader(f.genesis);
    this.digest = genesisStateDigest(f.genesis);
  }

  makeBlock(txs: SignedTx[], time: number): Block {
    const header: BlockHeader = {
      chainId: this.f.chainId,
      height: this.head.height + 1,
      prevHash: blockHashOf(this.head),
      txRoot: txRootOf(txs),
      stateDigest: this.digest,
      time,
      proposer: this.proposer,
      txCount: txs.length,
    };
    return { header, txs, proposerSig: signBlockHeader(header, this.f.orgs[this.proposer]!.node.privateKey) };
  }

  apply(block: Block): ApplyResult {
    const r = applyBlock(this.reader, block, {
      contracts: defaultContracts(),
      params: this.f.genesis.params,
      prevStateDigest: this.digest,
    });
    for (const [k, v] of r.writes) {
      if (v === null) this.state.delete(k);
      else this.state.set(k, v);
    }
    for (const o of r.outcomes) if (countsAsCommitted(o.code)) this.committed.add(o.txId);
    this.head = block.header;
    this.digest = r.stateDigest;
    return r;
  }

  /** Makes and applies a block; returns the validity codes. */
  commit(txs: SignedTx[], time: number): string[] {
    return this.apply(this.makeBlock(txs, time)).outcomes.map((o) => o.code);
  }
}

export { signP256 };

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * The high-S form of a 64-byte P-256 signature: (r, s) if s > n/2, else (r, n − s). Both
 * forms verify under plain ECDSA; the ledger must accept only the low one.
 */
export function highSForm(sig: Uint8Array): Uint8Array {
  const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
  if (s > P256_N >> 1n) return sig;
  const out = new Uint8Array(sig);
  out.set(Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}
