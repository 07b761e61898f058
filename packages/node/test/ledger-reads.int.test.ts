/**
 * The raw ledger routes (`GET /v1/blocks/:height`, `/v1/txs/:id`, `/v1/state/:key`) serve
 * members only, and every DSS record they serve is logged on the ledger (issue 3 §7; DSS is
 * "readable by every authenticated member", survey §6.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HashTag,
  canonicalBytes,
  fromHex,
  hashTagged,
  merkleRoot,
  sha256,
  toHex,
  utf8,
} from '@medledger/crypto';
import { txIdOf, type MemberEntry } from '@medledger/core';
import { AUTH_HEADER, MedledgerClient, MedledgerHttpError, signRequest } from '@medledger/client';
import { buildServer, type ServedTxs } from '../src/index.js';
import { enrollAll, makeTestLedger } from './helpers/ledger.js';
import { condition, makeRecordsWorld, type RecordsWorld } from './helpers/records.js';

const anchor = (recordId: string) => ({ recordId, hash: toHex(hashTagged(HashTag.record, utf8(recordId))) });

async function unauthenticated(res: Response, what: string, code = 'UNAUTHENTICATED'): Promise<string> {
  assert.equal(res.status, 401, what);
  const body = (await res.json()) as { code: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], what);
  assert.equal(body.code, code, what);
  assert.ok(body.message.length > 0, what);
  return body.message;
}

test('security: blocks, transactions and state keys need a signed request from an enrolled, unrevoked member', async () => {
  const t = await makeTestLedger();
  const audited: { reader: MemberEntry; served: ServedTxs }[] = [];
  const app = buildServer(t.node, { readAudit: (reader, served) => audited.push({ reader, served }) });
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const tx = t.wallet('alice').tx({
      chainId: t.node.chainId,
      type: 'record.anchor',
      payload: anchor('auth-1'),
      createdAt: Date.now(),
    });
    const open = new MedledgerClient(url);
    const receipt = await open.submitAndWait(tx, 10_000);
    const paths = [`/v1/blocks/${receipt.height}`, `/v1/txs/${receipt.txId}`, '/v1/state/anchor:auth-1'];

    for (const p of paths) await unauthenticated(await fetch(`${url}${p}`), `unsigned ${p}`);
    for (const call of [
      () => open.getBlock(receipt.height),
      () => open.getTx(receipt.txId),
      () => open.getState('anchor:auth-1'),
    ])
      await assert.rejects(
        call(),
        (e: unknown) => e instanceof MedledgerHttpError && e.status === 401 && e.code === 'UNAUTHENTICATED',
      );
    // what stays open: receipts, status, genesis (and submissions, above)
    assert.equal((await open.getReceipt(receipt.txId)).code, 'OK');
    assert.equal((await open.status()).chainId, t.node.chainId);
    assert.deepEqual(await open.genesis(), t.node.genesis);

    // a signature for another path, and a replayed one, are refused
    const alice = t.member('alice');
    const sign = (path: string) =>
      signRequest({
        audience: { chainId: t.node.chainId, node: t.node.org },
        signerId: alice.memberId,
        privateKey: alice.keys.privateKey,
        method: 'GET',
        path,
        ts: Date.now(),
      });
    const other = sign(paths[0]!);
    await unauthenticated(
      await fetch(`${url}${paths[1]!}`, { headers: { [AUTH_HEADER]: other } }),
      'signature of another path',
      'AUTH_BAD_SIGNATURE',
    );
    const once = sign(paths[2]!);
    assert.equal((await fetch(`${url}${paths[2]!}`, { headers: { [AUTH_HEADER]: once } })).status, 200);
    assert.match(
      await unauthenticated(
        await fetch(`${url}${paths[2]!}`, { headers: { [AUTH_HEADER]: once } }),
        'replay',
        'AUTH_REPLAY',
      ),
      /replay/,
    );
    assert.equal(audited.length, 0, 'nothing served, nothing audited');

    const aliceClient = new MedledgerClient(url, {
      signerId: alice.memberId,
      privateKey: alice.keys.privateKey,
    });
    const block = await aliceClient.getBlock(receipt.height);
    assert.equal(block.hash, receipt.blockHash);
    assert.equal((await aliceClient.getTx(receipt.txId)).receipt.code, 'OK');
    assert.deepEqual(
      (await aliceClient.getState<{ txId: string }>('anchor:auth-1')).value.txId,
      receipt.txId,
    );
    assert.deepEqual(
      audited.map((a) => [a.reader.id, a.served.route, a.served.txs.length, a.served.codes.length]),
      [
        [alice.memberId, 'block', block.block.txs.length, block.codes.length],
        [alice.memberId, 'tx', 1, 1],
      ],
      'every block and transaction served is audited with its reader; state reads serve no transaction',
    );

    // revoked: carol reads before her revocation, not after
    const carol = t.member('carol');
    const carolClient = new MedledgerClient(url, {
      signerId: carol.memberId,
      privateKey: carol.keys.privateKey,
    });
    assert.equal((await carolClient.getTx(receipt.txId)).tx.body.nonce, tx.body.nonce);
    const rev = await open.submitAndWait(
      t.orgWallet('hospitalA').tx({
        chainId: t.node.chainId,
        type: 'registry.revoke',
        payload: { memberId: carol.memberId, reason: 'left' },
        createdAt: Date.now(),
      }),
      10_000,
    );
    assert.equal(rev.code, 'OK');
    for (const call of [
      () => carolClient.getBlock(receipt.height),
      () => carolClient.getTx(receipt.txId),
      () => carolClient.getState('anchor:auth-1'),
    ])
      await assert.rejects(
        call(),
        (e: unknown) =>
          e instanceof MedledgerHttpError &&
          e.status === 401 &&
          e.code === 'AUTH_REVOKED' &&
          e.message.includes(`revoked at height ${rev.height}`),
      );
    assert.equal(audited.length, 3, 'only the read before the revocation was served');
  } finally {
    await app.close();
    await t.cleanup();
  }
});

interface LoggedEntry {
  recordId: string;
  requester: string;
  purpose: string;
  channel: string;
  outcome: string;
}

/** Every entry of the committed, valid access.log transactions (signed by hospital A's node). */
function ledgerEntries(w: RecordsWorld): LoggedEntry[] {
  const out: LoggedEntry[] = [];
  for (let h = 1; h <= w.node.head().height; h++) {
    const b = w.node.getBlock(h)!;
    b.block.txs.forEach((t, i) => {
      if (t.body.type !== 'access.log' || b.codes[i] !== 'OK') return;
      assert.deepEqual(t.body.signers, ['node:hospitalA']);
      out.push(...(t.body.payload as unknown as { entries: LoggedEntry[] }).entries);
    });
  }
  return out;
}

const ledgerReads = (w: RecordsWorld): LoggedEntry[] =>
  ledgerEntries(w).filter((e) => e.channel === 'ledger');

test('audit: a member reading a block or a transaction that holds a DSS record is logged on the ledger; other reads log nothing', async () => {
  const w = await makeRecordsWorld();
  try {
    const written = await w.c.alice.writeDss({
      recordId: 'ledger-dss-1',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-ledger', 'read from a block'),
    });
    // an invalid record.dss (outsider is not responsible): its block is served, not loggable
    const bad = await w.c.outsider.prepareDss({
      recordId: 'ledger-dss-bad',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-ledger'),
      responsible: [w.id.outsider],
      k: 1,
    });
    const badSubmit = await w.node.submit({ body: bad, signatures: [w.c.outsider.sign(bad)] });
    const badReceipt = (await w.node.waitForReceipt(badSubmit.txId, 10_000))!;
    assert.equal(badReceipt.code, 'NOT_RESPONSIBLE');
    const careteam = await w.c.bob.setCareTeam([], []);
    await w.services.accessLog.settle();
    assert.equal(ledgerReads(w).length, 0);

    // no DSS record in the block: nothing is queued, nothing is logged
    const plain = await w.c.baker.http.getBlock(careteam.receipt.height);
    assert.ok(
      plain.block.txs.every((t) => t.body.type !== 'record.dss'),
      'the block holds no DSS record',
    );
    assert.equal(w.services.accessLog.pending, 0, 'nothing queued');
    await w.c.baker.http.getTx(careteam.txId);
    await w.c.baker.http.getBlock(badReceipt.height);
    assert.equal(w.services.accessLog.pending, 0, 'an invalid record.dss has no record to log');

    // the DSS record's block, read by baker, and its transaction, read by chen
    const block = await w.c.baker.http.getBlock(written.receipt.height);
    assert.ok(block.block.txs.some((t) => t.body.type === 'record.dss'));
    const tx = await w.c.chen.http.getTx(written.txId);
    assert.equal((tx.tx.body.payload as { recordId: string }).recordId, 'ledger-dss-1');
    assert.equal(await w.services.accessLog.settle(), 'OK', 'the access.log batch committed');

    const reads = ledgerReads(w);
    assert.deepEqual(
      reads.map((e) => [e.requester, e.recordId, e.purpose, e.outcome]).sort(),
      [
        [w.id.baker, 'ledger-dss-1', 'unspecified', 'allowed'],
        [w.id.chen, 'ledger-dss-1', 'unspecified', 'allowed'],
      ].sort(),
    );
    // the patient sees both reads in the access log
    const log = await w.c.bob.accessLog();
    const seen = log.filter((e) => e.type === 'access.logged' && e.channel === 'ledger');
    assert.deepEqual(seen.map((e) => e.requester).sort(), [w.id.baker, w.id.chen].sort());
  } finally {
    await w.cleanup();
  }
});

test('security: an invalid record.dss is served redacted by the block and transaction routes (its plaintext is never served, nor logged)', async () => {
  const w = await makeRecordsWorld();
  try {
    const secret = 'invalid-dss-plaintext-7f3a';
    const bad = await w.c.outsider.prepareDss({
      recordId: 'ledger-dss-redacted',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-redacted', secret),
      responsible: [w.id.outsider],
      k: 1,
    });
    const badSubmit = await w.node.submit({ body: bad, signatures: [w.c.outsider.sign(bad)] });
    const receipt = (await w.node.waitForReceipt(badSubmit.txId, 10_000))!;
    assert.equal(receipt.code, 'NOT_RESPONSIBLE');
    const marker = {
      redacted: true,
      code: 'NOT_RESPONSIBLE',
      txId: badSubmit.txId,
      payloadHash: toHex(sha256(canonicalBytes(bad.payload))),
    };

    const block = await w.c.baker.http.getBlock(receipt.height);
    assert.ok(!JSON.stringify(block).includes(secret), 'the block route does not serve the plaintext');
    const inBlock = block.block.txs[receipt.index]!;
    assert.equal(inBlock.body.type, 'record.dss');
    assert.deepEqual(inBlock.body.payload, marker);
    // the block's Merkle root is still checkable: the marker names the leaf
    const leaves = block.block.txs.map((t, i) =>
      i === receipt.index ? (t.body.payload as { txId: string }).txId : txIdOf(t.body),
    );
    assert.equal(toHex(merkleRoot(leaves.map((id) => fromHex(id)))), block.block.header.txRoot);

    const tx = await w.c.chen.http.getTx(badSubmit.txId);
    assert.ok(!JSON.stringify(tx).includes(secret), 'the transaction route does not serve the plaintext');
    assert.deepEqual(tx.tx.body.payload, marker);
    assert.equal(w.services.accessLog.pending, 0, 'nothing served, nothing to log');

    // a valid record.dss is served as it is (and logged)
    const good = await w.c.alice.writeDss({
      recordId: 'ledger-dss-served',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-redacted', 'served-plaintext'),
    });
    const served = await w.c.chen.http.getTx(good.txId);
    assert.equal((served.tx.body.payload as { recordId: string }).recordId, 'ledger-dss-served');
    assert.equal(await w.services.accessLog.settle(), 'OK');
    assert.deepEqual(
      ledgerReads(w).map((e) => [e.requester, e.recordId]),
      [[w.id.chen, 'ledger-dss-served']],
      'only the valid record’s read is logged',
    );
  } finally {
    await w.cleanup();
  }
});

test('audit: a server that logs no ledger read refuses to serve DSS records from blocks and transactions', async () => {
  const w = await makeRecordsWorld();
  const bare = buildServer(w.node); // no record routes, no readAudit
  try {
    const written = await w.c.alice.writeDss({
      recordId: 'ledger-dss-bare',
      patient: w.id.bob,
      category: 'clinical',
      resource: condition('ep-bare'),
    });
    const other = await w.c.bob.setCareTeam([], []);
    const url = await bare.listen({ host: '127.0.0.1', port: 0 });
    const baker = w.consortium.members.find((m) => m.spec.label === 'baker')!;
    const client = new MedledgerClient(url, { signerId: w.id.baker, privateKey: baker.keys.privateKey });
    for (const call of [() => client.getBlock(written.receipt.height), () => client.getTx(written.txId)])
      await assert.rejects(
        call(),
        (e: unknown) => e instanceof MedledgerHttpError && e.status === 403 && e.code === 'FORBIDDEN',
      );
    assert.equal((await client.getTx(other.txId)).tx.body.type, 'patient.careteam', 'other reads are served');
    await w.services.accessLog.settle();
    assert.equal(ledgerReads(w).length, 0, 'nothing was served, nothing logged');
  } finally {
    await bare.close();
    await w.cleanup();
  }
});
