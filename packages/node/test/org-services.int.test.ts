/**
 * Integration: an organization's services run by `startNode` as node.json says, on a real data
 * directory, through the real API, across a restart of the node. The group manager's keys,
 * member table, past epochs and revoked members, and the issuer's keys, accumulator and
 * register, are sealed in services.sqlite: after a restart the manager still opens a signature
 * made before it, a revoked member stays revoked, and new members join under the same keys.
 * Secrets reach members sealed to their enrolled X25519 key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  envelopeFromJson,
  fromB64u,
  generateEncryptionKeyPair,
  openEnvelope,
  toB64u,
} from '@medledger/crypto';
import { createHeKeyPair } from '@medledger/crypto/he';
import {
  groupMemberKeyFromBytes,
  groupPublicKeyFromBytes,
  isGroupMemberKey,
  type GroupMemberKey,
} from '@medledger/crypto/groupsig';
import {
  AUTH_HEADER,
  AnonymityClient,
  MedledgerHttpError,
  OrgServicesClient,
  groupKeyAad,
  publishKeysTx,
  registrationTxs,
  signRequest,
  type OrgServicesDescription,
} from '@medledger/client';
import { groupSignedPayload } from '@medledger/client';
import { enrollEveryone, startFullNode, type FullNode } from './helpers/fullNode.js';

const G = 'clinicians-hospitalA';
const SERVICES = {
  abeAuthority: true,
  credentialIssuer: true,
  groups: [{ id: G, description: 'clinicians of hospital A', roles: ['doctor', 'nurse'] }],
};
const MEMBERS = [
  { label: 'doc1', org: 'hospitalA', role: 'doctor' },
  { label: 'doc2', org: 'hospitalA', role: 'doctor' },
  { label: 'nurse', org: 'hospitalA', role: 'nurse' },
  { label: 'adm', org: 'hospitalA', role: 'admin' },
  { label: 'pat', org: 'hospitalA', role: 'patient' },
  { label: 'bdoc', org: 'hospitalB', role: 'doctor' },
];

const rejects = (code: string) => (e: unknown) => e instanceof MedledgerHttpError && e.code === code;

function signer(f: FullNode, label: string) {
  const m = f.member(label);
  return {
    signerId: m.memberId,
    privateKey: m.keys.privateKey,
    encryptionPrivateKey: m.encryption.privateKey,
  };
}

async function services(url: string): Promise<OrgServicesDescription> {
  return (await (await fetch(`${url}/v1/services`)).json()) as OrgServicesDescription;
}

/** Registers the node's services with hospital A's root key, as `medledger org services` does. */
async function register(f: FullNode): Promise<void> {
  const { node, url } = f.running;
  const txs = registrationTxs(f.orgWallet('hospitalA'), node.chainId, await services(url), Date.now());
  assert.equal(txs.length, 3, 'ABE authority, issuer and group to register');
  for (const tx of txs) {
    const r = await node.submit(tx);
    assert.equal((await node.waitForReceipt(r.txId, 10_000))?.code, 'OK', tx.body.type);
  }
}

async function statement(
  f: FullNode,
  anon: AnonymityClient,
  key: GroupMemberKey,
  text: string,
): Promise<string> {
  const { group } = await anon.group(G);
  const payload = groupSignedPayload({
    chainId: f.running.node.chainId,
    groupId: G,
    groupPublicKey: groupPublicKeyFromBytes(fromB64u(group.publicKey)),
    memberKey: key,
    statement: { kind: 'adverse-event', text },
    createdAt: Date.now(),
  });
  const r = await anon.relay('anon.group.submit', payload, { waitMs: 10_000 });
  assert.equal(r.receipt?.code, 'OK');
  return r.txId;
}

test(
  'services: after a restart the group manager still opens a signature made before it, a revoked member stays revoked, new members join under the same keys; the state on disk is sealed',
  { timeout: 120_000 },
  async () => {
    const f = await startFullNode(MEMBERS, { services: SERVICES });
    try {
      await enrollEveryone(f, { encryptionKeys: true });
      const before = await services(f.running.url);
      assert.deepEqual(
        before.groups.map((g) => [g.id, g.registered]),
        [[G, false]],
      );
      await register(f);
      let anon = new AnonymityClient(f.running.url);
      const doc1 = groupMemberKeyFromBytes(await anon.groupMemberKey({ groupId: G, ...signer(f, 'doc1') }));
      await anon.groupMemberKey({ groupId: G, ...signer(f, 'doc2') });
      await assert.rejects(
        anon.groupMemberKey({ groupId: G, ...signer(f, 'pat') }),
        rejects('FORBIDDEN'),
        'a patient is not a clinician',
      );
      const early = await statement(f, anon, doc1, 'grade 3 neutropenia');
      await assert.rejects(
        anon.revokeGroupMember({ groupId: G, memberId: f.member('doc2').memberId, ...signer(f, 'doc1') }),
        rejects('NOT_GROUP_MANAGER'),
        'a doctor does not revoke',
      );
      await anon.revokeGroupMember({ groupId: G, memberId: f.member('doc2').memberId, ...signer(f, 'adm') });

      // On disk: the services key is a sealed key file; services.sqlite shows no member id.
      const dir = f.dir;
      assert.equal(statSync(join(dir, 'keys', 'services-hospitalA.key.json')).mode & 0o777, 0o600);
      const sealedKey = JSON.parse(
        readFileSync(join(dir, 'keys', 'services-hospitalA.key.json'), 'utf8'),
      ) as {
        kdf?: unknown;
      };
      assert.ok(sealedKey.kdf, 'sealed under the passphrase (scrypt)');
      const raw = readFileSync(join(dir, 'services.sqlite')).toString('latin1');
      const walRaw = (() => {
        try {
          return readFileSync(join(dir, 'services.sqlite-wal')).toString('latin1');
        } catch {
          return '';
        }
      })();
      for (const id of [f.member('doc1').memberId, f.member('doc2').memberId])
        assert.ok(!raw.includes(id) && !walRaw.includes(id), 'the member table is not stored in clear');

      await f.restart();
      anon = new AnonymityClient(f.running.url);
      const after = await services(f.running.url);
      assert.equal(
        after.abeAuthority?.publicKey,
        before.abeAuthority?.publicKey,
        'the same ABE authority key',
      );
      assert.equal(
        after.credentialIssuer?.publicKey,
        before.credentialIssuer?.publicKey,
        'the same issuer key',
      );
      assert.deepEqual(
        after.groups.map((g) => [g.id, g.epoch, g.registered]),
        [[G, 1, true]],
      );
      assert.equal(
        await anon.open({ groupId: G, txId: early, ...signer(f, 'adm') }),
        f.member('doc1').memberId,
        'the restarted manager opens a signature made before the restart',
      );
      await assert.rejects(
        anon.groupMemberKey({ groupId: G, ...signer(f, 'doc2') }),
        rejects('GROUP_MEMBER_REVOKED'),
        'a revoked member cannot join again after the restart',
      );
      const nurse = groupMemberKeyFromBytes(await anon.groupMemberKey({ groupId: G, ...signer(f, 'nurse') }));
      const { group } = await anon.group(G);
      assert.ok(
        isGroupMemberKey(groupPublicKeyFromBytes(fromB64u(group.publicKey)), nurse),
        'issued under the ledger’s key',
      );
      const late = await statement(f, anon, nurse, 'after the restart');
      assert.equal(
        await anon.open({ groupId: G, txId: late, ...signer(f, 'adm') }),
        f.member('nurse').memberId,
      );
    } finally {
      await f.cleanup();
    }
  },
);

test(
  'services: a group member key travels sealed to the member — the response holds no key in clear, and another member cannot open it',
  { timeout: 60_000 },
  async () => {
    const f = await startFullNode(MEMBERS, { services: SERVICES });
    try {
      await enrollEveryone(f, { encryptionKeys: true });
      await register(f);
      const { node, url } = f.running;
      const path = `/v1/anon/groups/${G}/member-key`;
      const me = f.member('nurse');
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [AUTH_HEADER]: signRequest({
            audience: { chainId: node.chainId, node: node.org },
            signerId: me.memberId,
            privateKey: me.keys.privateKey,
            method: 'POST',
            path,
            ts: Date.now(),
            body: new TextEncoder().encode('{}'),
          }),
        },
        body: '{}',
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      const body = JSON.parse(text) as { sealed: unknown; epoch: number };
      assert.deepEqual(Object.keys(body).sort(), ['epoch', 'groupId', 'sealed']);
      const key = await openEnvelope(
        envelopeFromJson(body.sealed),
        { id: me.memberId, privateKey: me.encryption.privateKey },
        groupKeyAad(G),
      );
      assert.equal(key.length, 84, 'the member opens its 84-byte BBS04 key');
      for (const enc of [toB64u(key), Buffer.from(key).toString('hex'), Buffer.from(key).toString('base64')])
        assert.ok(!text.includes(enc), 'the key is not in the response in clear');
      const other = f.member('doc1');
      await assert.rejects(
        openEnvelope(
          envelopeFromJson(body.sealed),
          { id: other.memberId, privateKey: other.encryption.privateKey },
          groupKeyAad(G),
        ),
        'another member cannot open it',
      );
      await assert.rejects(
        openEnvelope(
          envelopeFromJson(body.sealed),
          { id: me.memberId, privateKey: other.encryption.privateKey },
          groupKeyAad(G),
        ),
        'nor with the member’s id and its own key',
      );
    } finally {
      await f.cleanup();
    }
  },
);

test(
  'services: credentials are issued sealed; after an admin revokes a member and the node restarts, the member gets no new credential and the restored accumulator still chains with the ledger',
  { timeout: 120_000 },
  async () => {
    const f = await startFullNode(MEMBERS, { services: SERVICES });
    try {
      await enrollEveryone(f, { encryptionKeys: true });
      await register(f);
      let anon = new AnonymityClient(f.running.url);
      const held = await anon.requestCredential({ issuer: 'hospitalA', ...signer(f, 'doc1') });
      assert.equal(held.credential.role, 'doctor');
      await assert.rejects(
        anon.requestCredential({
          issuer: 'hospitalA',
          ...signer(f, 'doc2'),
          encryptionPrivateKey: f.member('doc1').encryption.privateKey,
        }),
        'a credential sealed to doc2 does not open with another member’s key',
      );
      await assert.rejects(
        anon.revokeCredentials({
          issuer: 'hospitalA',
          memberId: f.member('doc1').memberId,
          ...signer(f, 'nurse'),
        }),
        rejects('FORBIDDEN'),
      );
      const r = await anon.revokeCredentials({
        issuer: 'hospitalA',
        memberId: f.member('doc1').memberId,
        ...signer(f, 'adm'),
      });
      assert.equal(r.revoked, 1);
      await assert.rejects(
        anon.refresh('hospitalA', held),
        RangeError,
        'the revoked credential’s witness no longer updates',
      );

      await f.restart();
      anon = new AnonymityClient(f.running.url);
      await assert.rejects(
        anon.requestCredential({ issuer: 'hospitalA', ...signer(f, 'doc1') }),
        rejects('CREDENTIAL_REVOKED'),
        'revocation applies after the restart',
      );
      const nurse = await anon.requestCredential({ issuer: 'hospitalA', ...signer(f, 'nurse') });
      assert.equal(nurse.credential.role, 'nurse', 'the restored accumulator’s update commits on the ledger');
    } finally {
      await f.cleanup();
    }
  },
);

test(
  'services: a patient deposits his HE key sealed to the custodian node’s published X25519 key; a key he did not publish, or a patient who named another holder, is refused; custody survives a restart',
  { timeout: 120_000 },
  async () => {
    const f = await startFullNode(MEMBERS, { services: { heCustodian: true } });
    try {
      await enrollEveryone(f, { encryptionKeys: true });
      const { node, url } = f.running;
      const client = new OrgServicesClient(url);
      const d = await client.describe();
      const nodeKey = (node.stateValue('pubkeys:node:hospitalA') as { x25519: string }).x25519;
      assert.equal(
        d.heCustodian?.encryptionKey,
        nodeKey,
        'the key patients seal to is the one on the ledger',
      );
      const pat = signer(f, 'pat');
      const mine = await createHeKeyPair();
      const other = await createHeKeyPair();
      const x25519 = fromB64u(nodeKey);
      await assert.rejects(
        client.depositHeKey(pat, 'hospitalA', x25519, mine.secretKey),
        rejects('NOT_HE_HOLDER'),
        'the patient has not named hospitalA as his key holder yet',
      );
      const publish = publishKeysTx(
        { wallet: f.wallet('pat'), chainId: node.chainId },
        { he: mine.publicKey, heHolder: 'hospitalA' },
      );
      const r = await node.submit(publish);
      assert.equal((await node.waitForReceipt(r.txId, 10_000))?.code, 'OK');
      await assert.rejects(
        client.depositHeKey(pat, 'hospitalA', x25519, other.secretKey),
        rejects('HE_KEY_MISMATCH'),
        'a key other than the published one',
      );
      await assert.rejects(
        client.depositHeKey(signer(f, 'doc1'), 'hospitalA', x25519, mine.secretKey),
        rejects('FORBIDDEN'),
        'only a patient deposits',
      );
      await assert.rejects(
        client.depositHeKey(pat, 'hospitalA', generateEncryptionKeyPair().publicKey, mine.secretKey),
        rejects('BAD_INPUT'),
        'sealed to another key: the node cannot open it',
      );
      assert.equal(await client.holdsHeKey(pat), false);
      await client.depositHeKey(pat, 'hospitalA', x25519, mine.secretKey);
      assert.equal(await client.holdsHeKey(pat), true);
      const raw = readFileSync(join(f.dir, 'services.sqlite')).toString('latin1');
      assert.ok(!raw.includes(f.member('pat').memberId), 'custody is stored sealed');

      await f.restart();
      assert.equal(
        await new OrgServicesClient(f.running.url).holdsHeKey(pat),
        true,
        'custody survives the restart',
      );
    } finally {
      await f.cleanup();
    }
  },
);
