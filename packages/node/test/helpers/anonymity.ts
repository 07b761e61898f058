/** Test helpers of the anonymity flows: a ledger, an HTTP server with the anonymity routes, services. */
import type { Wallet } from '@medledger/client';
import { AnonymityClient } from '@medledger/client';
import type { JsonValue } from '@medledger/crypto';
import type { MemberEntry, TxType } from '@medledger/core';
import type { FastifyInstance } from 'fastify';
import type { SignedTx } from '@medledger/core';
import { RequestAuthenticator, buildServer } from '../../src/index.js';
import {
  CredentialIssuer,
  GroupManagerService,
  createAnonymityServices,
  type AnonymousRelay,
  type AnonymousVerifier,
} from '../../src/anonymity/index.js';
import { anonymityRoutes } from '../../src/api/routes/anonymity.js';
import { enrollAll, makeTestLedger, type TestLedger } from './ledger.js';

export interface AnonLedger {
  t: TestLedger;
  app: FastifyInstance;
  anon: AnonymityClient;
  relay: AnonymousRelay;
  verifier: AnonymousVerifier;
  issuerB: CredentialIssuer;
  groupB: GroupManagerService;
  signer(label: string): { signerId: string; privateKey: Uint8Array; encryptionPrivateKey: Uint8Array };
  id(label: string): string;
  submit(wallet: Wallet, type: TxType, payload: { [k: string]: JsonValue }): Promise<string>;
  commit(tx: SignedTx): Promise<string>;
  close(): Promise<void>;
}

/** Members: a patient and a doctor at hospitalA; doctors, a nurse, an admin and patients at hospitalB. */
export async function makeAnonLedger(
  o: {
    birthDates?: Record<string, number>;
    extraMembers?: { label: string; org: string; role: string }[];
    orderer?: NonNullable<Parameters<typeof makeTestLedger>[0]>['orderer'];
    proofCheckers?: NonNullable<Parameters<typeof makeTestLedger>[0]>['proofCheckers'];
  } = {},
): Promise<AnonLedger> {
  const t = await makeTestLedger({
    members: [
      { label: 'pat', org: 'hospitalA', role: 'patient' },
      { label: 'alice', org: 'hospitalA', role: 'doctor' },
      { label: 'bob', org: 'hospitalB', role: 'doctor' },
      { label: 'chen', org: 'hospitalB', role: 'doctor' },
      { label: 'carol', org: 'hospitalB', role: 'nurse' },
      { label: 'audrey', org: 'hospitalB', role: 'admin' },
      ...(o.extraMembers ?? []),
    ],
    ...(o.orderer ? { orderer: o.orderer } : {}),
    ...(o.proofCheckers ? { proofCheckers: o.proofCheckers } : {}),
  });
  await enrollAll(t, { encryptionKeys: true }); // secrets reach members sealed to these keys
  const node = t.node;
  const nodeKeyB = t.consortium.orgs.get('hospitalB')!.node.privateKey;
  const { relay, verifier } = createAnonymityServices({
    node,
    nodeKey: t.consortium.orgs.get('hospitalA')!.node.privateKey,
  });
  const labelOf = new Map(t.consortium.members.map((m) => [m.memberId, m.spec.label]));
  const issuerB = await CredentialIssuer.create({
    node,
    org: 'hospitalB',
    nodeKey: nodeKeyB,
    attributesOf: (m: MemberEntry) => {
      const d = o.birthDates?.[labelOf.get(m.id) ?? ''];
      return d === undefined ? {} : { birthDate: d };
    },
  });
  const groupB = new GroupManagerService({
    node,
    org: 'hospitalB',
    nodeKey: nodeKeyB,
    groupId: 'oncology-hospitalB',
    eligible: (m) => m.org === 'hospitalB' && m.role === 'doctor',
  });
  const app = buildServer(node, {
    plugins: [
      anonymityRoutes({
        relay,
        verifier,
        auth: new RequestAuthenticator(node),
        issuers: [issuerB],
        groups: [groupB],
      }),
    ],
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const a: AnonLedger = {
    t,
    app,
    anon: new AnonymityClient(url),
    relay,
    verifier,
    issuerB,
    groupB,
    signer: (label) => ({
      signerId: t.member(label).memberId,
      privateKey: t.member(label).keys.privateKey,
      encryptionPrivateKey: t.member(label).encryption.privateKey,
    }),
    id: (label) => t.member(label).memberId,
    submit(wallet, type, payload) {
      return a.commit(wallet.txFromJson({ chainId: node.chainId, type, payload, createdAt: Date.now() }));
    },
    async commit(tx) {
      const r = await node.submit(tx);
      const rec = await node.waitForReceipt(r.txId, 10_000);
      if (rec?.code !== 'OK') throw new Error(`${tx.body.type}: ${rec?.code} ${rec?.message ?? ''}`);
      return r.txId;
    },
    async close() {
      await app.close();
      await t.cleanup();
    },
  };
  await a.commit(issuerB.registrationTx(t.orgWallet('hospitalB')));
  return a;
}
