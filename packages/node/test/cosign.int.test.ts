/**
 * The co-signing mailbox and a doctor's patients, through a full node (`startNode`) over HTTP:
 * a DSS record that needs 2 of its 3 responsible doctors is proposed by one, waits in the
 * mailbox (durable across a restart, not on the ledger), is refused to members it does not name
 * and to a tampered or foreign signature, and commits once the named co-signer signs. The
 * node never signs: it checks each signature against the member's enrolled key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toB64u, fromB64u, signP256, type JsonValue } from '@medledger/crypto';
import { join } from 'node:path';
import { txSigningBytes, type MemberEntry, type TxBody } from '@medledger/core';
import {
  MedledgerHttpError,
  RecordsClient,
  cosignProposal,
  getProposal,
  listProposals,
  proposeDss,
  pathOf,
  API,
} from '@medledger/client';
import { CosignMailbox } from '../src/cosign/mailbox.js';
import { enrollEveryone, startFullNode, type FullNode } from './helpers/fullNode.js';

let f: FullNode;
const sdk = (label: string): RecordsClient => {
  const m = f.member(label);
  return new RecordsClient({
    baseUrl: f.running.url,
    signerId: m.memberId,
    privateKey: m.keys.privateKey,
    encryptionKey: m.encryption.privateKey,
    waitMs: 10_000,
  });
};
const id = (label: string): string => f.member(label).memberId;
const refusedWith =
  (code: string, status?: number) =>
  (e: unknown): boolean =>
    e instanceof MedledgerHttpError && e.code === code && (status === undefined || e.status === status);

const plan = (recordId: string): { [k: string]: JsonValue } => ({
  resourceType: 'Condition',
  code: { text: `surgical plan ${recordId}` },
  subject: { reference: 'Patient/ep-cosign' },
  recorder: { reference: 'Practitioner/dr-a' },
});

before(async () => {
  f = await startFullNode([
    { label: 'bob', org: 'hospitalA', role: 'patient' },
    { label: 'dr-a', org: 'hospitalA', role: 'doctor' },
    { label: 'dr-b', org: 'hospitalA', role: 'doctor' },
    { label: 'dr-c', org: 'hospitalA', role: 'doctor' },
    { label: 'dr-x', org: 'hospitalB', role: 'doctor' },
  ]);
  await enrollEveryone(f, { encryptionKeys: true });
  const bob = sdk('bob');
  await bob.setCareTeam([id('dr-a'), id('dr-b'), id('dr-c')]);
  await bob.setRecordQuorum(2);
});
after(async () => {
  await f.cleanup();
});

test('behavior: a 2-of-3 DSS record waits in the mailbox, off the ledger, until the named co-signer signs; then it commits', async () => {
  const [a, b, c, x] = ['dr-a', 'dr-b', 'dr-c', 'dr-x'].map(sdk) as [
    RecordsClient,
    RecordsClient,
    RecordsClient,
    RecordsClient,
  ];
  const body = await a.prepareDss(
    {
      recordId: 'cosign-1',
      patient: id('bob'),
      category: 'clinical',
      resource: plan('cosign-1'),
      responsible: [id('dr-a'), id('dr-b'), id('dr-c')],
      k: 2,
    },
    [id('dr-b')],
  );
  const p = await proposeDss(a, body);
  assert.equal(p.status, 'open');
  assert.deepEqual(p.signed, [id('dr-a')]);
  assert.equal(await a.state('record:cosign-1'), undefined, 'not on the ledger before k signatures');

  // Durable: the proposal survives a restart of the node.
  await f.restart();
  const [a2, b2, c2, x2] = ['dr-a', 'dr-b', 'dr-c', 'dr-x'].map(sdk) as [
    RecordsClient,
    RecordsClient,
    RecordsClient,
    RecordsClient,
  ];
  void [a, b, c, x];
  const inbox = await listProposals(b2);
  assert.deepEqual(
    inbox.map((q) => q.id),
    [p.id],
    'the named co-signer sees it awaiting their signature',
  );
  assert.deepEqual(
    (await listProposals(c2)).map((q) => q.id),
    [],
    'a responsible doctor it does not name does not',
  );

  // Members it does not name can neither read nor sign it.
  const path = pathOf(API.cosign.sign, { id: p.id });
  for (const [label, outsider] of [
    ['dr-c', c2],
    ['dr-x', x2],
  ] as const) {
    await assert.rejects(getProposal(outsider, p.id), refusedWith('NOT_A_COSIGNER', 403));
    // Their wallet refuses to sign a body that does not list them; a raw signature is refused too.
    const sig = toB64u(signP256(f.member(label).keys.privateKey, txSigningBytes(inbox[0]!.body)));
    await assert.rejects(outsider.signed('POST', path, { sig }), refusedWith('NOT_A_COSIGNER', 403));
  }
  // A tampered signature, and the proposer's signature replayed as the co-signer's, are refused.
  const good = (await b2.wallet.signatureAsync(inbox[0]!.body)).sig;
  const bytes = fromB64u(good);
  bytes[10]! ^= 1;
  await assert.rejects(
    b2.signed('POST', path, { sig: toB64u(bytes) }),
    refusedWith('COSIGNATURE_INVALID', 422),
  );
  const proposerSig = (await a2.wallet.signatureAsync(inbox[0]!.body)).sig;
  await assert.rejects(
    b2.signed('POST', path, { sig: proposerSig }),
    refusedWith('COSIGNATURE_INVALID', 422),
  );
  await assert.rejects(
    b2.signed('POST', path, { sig: 'not base64' }),
    refusedWith('COSIGNATURE_INVALID', 422),
  );
  assert.equal((await getProposal(a2, p.id)).status, 'open');
  assert.equal(await a2.state('record:cosign-1'), undefined, 'still not on the ledger');

  // The named co-signer signs: the node submits, the record commits signed by both.
  const done = await cosignProposal(b2, inbox[0]!);
  assert.equal(done.status, 'submitted');
  assert.ok(done.txId);
  const receipt = await a2.http.getReceipt(done.txId!, 10_000);
  assert.equal(receipt?.code, 'OK');
  const entry = (await a2.state<{ mode: string; k: number; responsible: string[] }>('record:cosign-1'))!;
  assert.equal(entry.mode, 'dss');
  assert.equal(entry.k, 2);
  const tx = await a2.http.getTx(done.txId!);
  assert.deepEqual(tx.tx.signatures.map((s) => s.signer).sort(), [id('dr-a'), id('dr-b')].sort());
  await assert.rejects(cosignProposal(b2, inbox[0]!), refusedWith('PROPOSAL_CLOSED', 409));

  // The patient's log shows that dr-b saw the record in the mailbox: once, however often he looked.
  await listProposals(b2);
  const bob = sdk('bob');
  let views: Record<string, unknown>[] = [];
  for (let i = 0; i < 100 && views.length === 0; i++) {
    views = (await bob.accessLog()).filter(
      (e) => e['channel'] === 'cosign' && e['ref'] === 'cosign:cosign-1',
    );
    if (views.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000)); // any second entry would be flushed by now
  views = (await bob.accessLog()).filter((e) => e['channel'] === 'cosign' && e['ref'] === 'cosign:cosign-1');
  assert.deepEqual(
    views.map((v) => v['requester']),
    [id('dr-b')],
    'one logged view, by the co-signer (the proposer wrote it)',
  );
});

test('behavior: a proposal that is not a co-signed DSS record, carries a bad proposer signature, or is too old is refused with a reason', async () => {
  const a = sdk('dr-a');
  const meta = {
    recordId: 'cosign-bad',
    patient: id('bob'),
    category: 'clinical',
    resource: plan('cosign-bad'),
    responsible: [id('dr-a'), id('dr-b'), id('dr-c')],
    k: 2,
  };
  const alone = await a.prepareDss(meta);
  await assert.rejects(proposeDss(a, alone), refusedWith('MALFORMED_REQUEST', 400));
  const outsider = await a.prepareDss(meta, [id('dr-x')]);
  await assert.rejects(
    proposeDss(a, outsider),
    (e) => refusedWith('MALFORMED_REQUEST')(e) && /responsible/.test((e as Error).message),
  );
  const body = await a.prepareDss(meta, [id('dr-b')]);
  const sig = fromB64u((await a.wallet.signatureAsync(body)).sig);
  sig[0]! ^= 0x80;
  await assert.rejects(
    a.signed('POST', API.cosign.propose.path, { body, sig: toB64u(sig) }),
    refusedWith('COSIGNATURE_INVALID', 422),
  );
  await assert.rejects(
    a.signed('POST', API.cosign.propose.path, { body: { ...body, signers: 'x' }, sig: toB64u(sig) }),
    (e) => refusedWith('MALFORMED_TX', 400)(e) && /signers/.test((e as Error).message),
  );
  const old = a.wallet.bodyFromJson({
    chainId: body.chainId,
    type: 'record.dss',
    payload: body.payload,
    createdAt: Date.now() - 2 * 3600_000,
    coSigners: [id('dr-b')],
  });
  await assert.rejects(proposeDss(a, old), refusedWith('PROPOSAL_EXPIRED', 410));
  assert.equal(
    (await listProposals(sdk('dr-b'))).filter((q) => q.body.payload.recordId === 'cosign-bad').length,
    0,
  );
});

test('behavior: a doctor lists the patients whose care team names them, and only their own list', async () => {
  const a = sdk('dr-a');
  const x = sdk('dr-x');
  const mine = await a.signed<{ patients: { patient: string }[] }>(
    'GET',
    pathOf(API.patients.ofClinician, { id: id('dr-a') }),
  );
  assert.deepEqual(
    mine.patients.map((p) => p.patient),
    [id('bob')],
  );
  const none = await x.signed<{ patients: unknown[] }>(
    'GET',
    pathOf(API.patients.ofClinician, { id: id('dr-x') }),
  );
  assert.deepEqual(none.patients, []);
  await assert.rejects(
    x.signed('GET', pathOf(API.patients.ofClinician, { id: id('dr-a') })),
    refusedWith('FORBIDDEN', 403),
  );
  const recs = await a.signed<{ records: { recordId: string }[] }>(
    'GET',
    pathOf(API.patients.recordsOfPatient, { id: id('dr-a'), patient: id('bob') }),
  );
  assert.ok(recs.records.some((r) => r.recordId === 'cosign-1'));
  await assert.rejects(
    x.signed('GET', pathOf(API.patients.recordsOfPatient, { id: id('dr-x'), patient: id('bob') })),
    refusedWith('FORBIDDEN', 403),
  );
  // The patient removes the doctor: the list follows the ledger.
  await sdk('bob').setCareTeam([], [id('dr-c')]);
  const c = sdk('dr-c');
  await assert.rejects(
    c.signed('GET', pathOf(API.patients.recordsOfPatient, { id: id('dr-c'), patient: id('bob') })),
    refusedWith('FORBIDDEN', 403),
  );
  const cs = await c.signed<{ patients: unknown[] }>(
    'GET',
    pathOf(API.patients.ofClinician, { id: id('dr-c') }),
  );
  assert.deepEqual(cs.patients, []);
});

test('behavior: the mailbox is durable and drops a proposal a week after its body expired', async () => {
  const path = join(f.dir, 'cosign-prune.sqlite');
  const node = f.running.node;
  const drA = node.stateValue(`member:${id('dr-a')}`) as unknown as MemberEntry;
  const a = sdk('dr-a');
  let now = Date.now();
  // Bodies signed at the mailbox's clock (its `now` moves days ahead).
  const proposal = async (recordId: string): Promise<{ body: TxBody; sig: string }> => {
    const body = a.wallet.bodyFromJson({
      chainId: node.chainId,
      type: 'record.dss',
      payload: {
        recordId,
        patient: id('bob'),
        subject: 'ep-cosign',
        category: 'clinical',
        resourceType: 'Condition',
        responsible: [id('dr-a'), id('dr-b')].sort(),
        k: 2,
        prev: null,
        resource: plan(recordId),
      },
      createdAt: now,
      coSigners: [id('dr-b')],
    });
    return { body, sig: (await a.wallet.signatureAsync(body)).sig };
  };
  const first = CosignMailbox.open({ path, node, now: () => now });
  const old = first.propose(drA, await proposal('prune-1'));
  first.close();
  now += 3600_000 + 6 * 24 * 3600_000; // expired six days ago: still listed, as expired
  const second = CosignMailbox.open({ path, node, now: () => now });
  second.propose(drA, await proposal('prune-2'));
  assert.equal(second.get(drA, old.id).status, 'expired');
  now += 2 * 24 * 3600_000; // eight days: dropped at the next proposal
  second.propose(drA, await proposal('prune-3'));
  assert.throws(
    () => second.get(drA, old.id),
    (e: Error & { code?: string }) => e.code === 'NOT_FOUND',
  );
  assert.deepEqual(
    second.list(drA).map((p) => p.body.payload.recordId),
    ['prune-3', 'prune-2'],
  );
  second.close();
});
