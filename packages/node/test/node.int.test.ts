import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashTag, fromB64u, hashTagged, toB64u, toHex, utf8 } from '@medledger/crypto';
import { LedgerError } from '@medledger/core';
import { MedledgerClient, MedledgerHttpError, checkTxWithProof, verifyTxWithProof } from '@medledger/client';
import { importP256PrivateKey } from '@medledger/crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointService, MedledgerNode, buildServer } from '../src/index.js';
import { enrollAll, highSForm, makeTestLedger } from './helpers/ledger.js';

const anchor = (recordId: string) => ({ recordId, hash: toHex(hashTagged(HashTag.record, utf8(recordId))) });

test('behavior: the same signed transaction submitted twice commits once', async () => {
  const t = await makeTestLedger();
  try {
    await enrollAll(t);
    const tx = t.wallet('alice').tx({
      chainId: t.node.chainId,
      type: 'record.anchor',
      payload: anchor('twice'),
      createdAt: Date.now(),
    });
    const [a, b] = await t.node.submitBatch([tx, JSON.parse(JSON.stringify(tx))]);
    assert.equal(a!.status, 'pending');
    assert.deepEqual(b, { txId: a!.txId!, status: 'pending', duplicate: true });
    const r = await t.node.waitForReceipt(a!.txId!, 5000);
    assert.equal(r?.code, 'OK');
    const again = await t.node.submit(JSON.parse(JSON.stringify(tx)));
    assert.equal(again.status, 'committed');
    assert.equal(again.duplicate, true);
    const height = t.node.head().height;
    let count = 0;
    for (let h = 1; h <= height; h++)
      count += t.node.getBlock(h)!.block.txs.filter((x) => x.body.nonce === tx.body.nonce).length;
    assert.equal(count, 1, 'in exactly one block');
  } finally {
    await t.cleanup();
  }
});

test('security: a revoked member’s new transaction is rejected with a clear error; earlier ones stay', async () => {
  const t = await makeTestLedger();
  try {
    await enrollAll(t);
    const bob = t.wallet('bob');
    const early = await t.node.submit(
      bob.tx({
        chainId: t.node.chainId,
        type: 'record.anchor',
        payload: anchor('early'),
        createdAt: Date.now(),
      }),
    );
    assert.equal((await t.node.waitForReceipt(early.txId, 5000))?.code, 'OK');
    const rev = await t.node.submit(
      t.orgWallet('hospitalB').tx({
        chainId: t.node.chainId,
        type: 'registry.revoke',
        payload: { memberId: bob.signerId, reason: 'left' },
        createdAt: Date.now(),
      }),
    );
    const revReceipt = await t.node.waitForReceipt(rev.txId, 5000);
    assert.equal(revReceipt?.code, 'OK');
    await assert.rejects(
      t.node.submit(
        bob.tx({
          chainId: t.node.chainId,
          type: 'record.anchor',
          payload: anchor('late'),
          createdAt: Date.now(),
        }),
      ),
      (e: unknown) =>
        e instanceof LedgerError &&
        e.code === 'SIGNER_REVOKED' &&
        e.message.includes(`revoked at height ${revReceipt!.height}`),
    );
    assert.equal(t.node.receipt(early.txId)?.code, 'OK', 'the earlier transaction is still committed');
    assert.equal(t.node.stateValue('anchor:late'), undefined);
  } finally {
    await t.cleanup();
  }
});

test('behavior: malformed or badly signed transactions are rejected with a message and change nothing', async () => {
  const t = await makeTestLedger();
  try {
    await enrollAll(t);
    const before = t.node.status();
    const good = t
      .wallet('alice')
      .tx({ chainId: t.node.chainId, type: 'record.anchor', payload: anchor('m'), createdAt: Date.now() });
    // Another body: a batch answers a second copy of an id as a duplicate without checking it.
    const other = t
      .wallet('alice')
      .tx({ chainId: t.node.chainId, type: 'record.anchor', payload: anchor('m2'), createdAt: Date.now() });
    const forged = {
      ...good,
      signatures: [
        {
          ...good.signatures[0]!,
          sig: t
            .wallet('carol')
            .tx({ chainId: t.node.chainId, type: 'record.anchor', payload: anchor('m'), createdAt: 0 })
            .signatures[0]!.sig,
        },
      ],
    };
    const cases: [unknown, string, RegExp][] = [
      [{}, 'MALFORMED_TX', /tx\.body: must be an object/],
      [
        { ...good, body: { ...good.body, payload: { recordId: 'm', hash: 'zz' } } },
        'INVALID_PAYLOAD',
        /payload\.hash/,
      ],
      [{ ...good, body: { ...good.body, type: 'nope' } }, 'UNKNOWN_TYPE', /no contract/],
      [{ ...good, body: { ...good.body, chainId: 'a'.repeat(64) } }, 'WRONG_CHAIN', /another chain/],
      [forged, 'BAD_SIGNATURE', /does not verify/],
      // (r, n − s) of alice's own signature: plain ECDSA accepts it, the node must not (low-S)
      [
        {
          ...other,
          signatures: [
            { ...other.signatures[0]!, sig: toB64u(highSForm(fromB64u(other.signatures[0]!.sig))) },
          ],
        },
        'BAD_SIGNATURE',
        /does not verify/,
      ],
      [{ ...good, body: { ...good.body, createdAt: Date.now() - 2 * 3_600_000 } }, 'TX_EXPIRED', /older/],
    ];
    const res = await t.node.submitBatch(cases.map((c) => c[0]));
    res.forEach((r, i) => {
      assert.equal(r.status, 'rejected', `case ${i}`);
      if (r.status === 'rejected') {
        assert.equal(r.error.code, cases[i]![1]);
        assert.match(r.error.message, cases[i]![2]);
      }
    });
    await new Promise((r) => setTimeout(r, 50));
    const after = t.node.status();
    assert.equal(after.height, before.height);
    assert.equal(after.stateDigest, before.stateDigest);
    assert.equal(t.node.mempool.size, 0);
  } finally {
    await t.cleanup();
  }
});

test('api: errors are JSON {code, message}; a committed transaction comes with a proof a light client checks', async () => {
  const t = await makeTestLedger({ nodeOrgs: ['hospitalA'] });
  const checkpoints = new CheckpointService({
    node: t.node,
    nodeKey: importP256PrivateKey(t.consortium.orgs.get('hospitalA')!.node.privateKey),
    dbPath: join(t.dir, 'checkpoints.sqlite'),
  }).start();
  const app = buildServer(t.node, { checkpoints });
  try {
    await enrollAll(t);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const alice = t.member('alice');
    const client = new MedledgerClient(url, { signerId: alice.memberId, privateKey: alice.keys.privateKey });
    const bad = await fetch(`${url}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"body":',
    });
    assert.equal(bad.status, 400);
    const badJson = (await bad.json()) as { code: string; message: string };
    assert.equal(badJson.code, 'MALFORMED_REQUEST');
    assert.ok(badJson.message.length > 0);
    const missing = await client.getTx('0'.repeat(64)).catch((e: unknown) => e);
    assert.ok(missing instanceof MedledgerHttpError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'NOT_FOUND');
    const missingRaw = await fetch(`${url}/v1/txs/${'0'.repeat(64)}/receipt`);
    assert.equal(missingRaw.status, 404);
    assert.deepEqual(Object.keys((await missingRaw.json()) as object).sort(), ['code', 'message']);
    const notATx = await fetch(`${url}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[1,2]',
    });
    assert.equal(notATx.status, 400);
    assert.equal(((await notATx.json()) as { code: string }).code, 'MALFORMED_TX');

    const genesis = await client.genesis();
    const txs = Array.from({ length: 7 }, (_, i) =>
      t.wallet('alice').tx({
        chainId: t.node.chainId,
        type: 'record.anchor',
        payload: anchor(`api-${i}`),
        createdAt: Date.now(),
      }),
    );
    const results = await client.submitBatch(txs, { waitMs: 10_000 });
    for (const r of results) assert.equal(r.status, 'committed');
    const one = await client.getTx(results[3]!.txId!, { finalWaitMs: 5000 });
    assert.deepEqual(checkTxWithProof(one, genesis), {
      ok: true,
      code: 'OK',
      height: one.receipt.height,
      signers: ['hospitalA'],
    });
    assert.ok(verifyTxWithProof(one, genesis), 'light client accepts the proof');
    const { checkpoint: _c, ...withoutCheckpoint } = one;
    assert.match(
      (checkTxWithProof(withoutCheckpoint, genesis) as { reason: string }).reason,
      /no checkpoint/,
      'a header signed by its proposer alone is not enough',
    );
    assert.equal(
      verifyTxWithProof({ ...one, header: { ...one.header, time: one.header.time + 1 } }, genesis),
      false,
      'modified header',
    );
    const path = [...one.proof.path];
    path[0] = (path[0]![0] === 'a' ? 'b' : 'a') + path[0]!.slice(1);
    assert.equal(
      verifyTxWithProof({ ...one, proof: { ...one.proof, path } }, genesis),
      false,
      'modified proof',
    );
    assert.equal(verifyTxWithProof({ ...one, tx: txs[4]! }, genesis), false, 'another transaction');
    const block = await client.getBlock(one.receipt.height);
    assert.equal(block.hash, one.receipt.blockHash);
    assert.ok(block.codes.every((c) => c === 'OK'));
    const status = await client.status();
    assert.equal(status.chainId, t.node.chainId);
  } finally {
    await app.close();
    await checkpoints.close();
    await t.cleanup();
  }
});

test('behavior: a reopened node resumes from its stored head', async () => {
  const t = await makeTestLedger();
  try {
    await enrollAll(t);
    const r = await t.node.submit(
      t.wallet('alice').tx({
        chainId: t.node.chainId,
        type: 'record.anchor',
        payload: anchor('persist'),
        createdAt: Date.now(),
      }),
    );
    await t.node.waitForReceipt(r.txId, 5000);
    const head = t.node.head();
    const node = await t.reopen();
    assert.deepEqual(node.head(), head);
    assert.equal(node.receipt(r.txId)?.code, 'OK');
    const next = await node.submit(
      t.wallet('bob').tx({
        chainId: node.chainId,
        type: 'record.anchor',
        payload: anchor('after-reopen'),
        createdAt: Date.now(),
      }),
    );
    assert.equal((await node.waitForReceipt(next.txId, 5000))?.height, head.height + 1);
  } finally {
    await t.cleanup();
  }
});

test('behavior: blocks are applied ahead of the disk, but a block is announced, counted in the head and answered only once it is stored', async () => {
  const t = await makeTestLedger();
  try {
    await enrollAll(t);
    const seen: number[] = [];
    const problems: string[] = [];
    t.node.on('block', (e: { height: number; hash: string }) => {
      seen.push(e.height);
      if (t.node.head().height !== e.height)
        problems.push(`head ${t.node.head().height} at block ${e.height}`);
      const stored = t.node.store.getBlock(e.height);
      if (stored?.hash !== e.hash) problems.push(`block ${e.height} not stored when announced`);
    });
    const txs = Array.from({ length: 1200 }, (_, i) =>
      t.wallet(i % 2 ? 'alice' : 'bob').tx({
        chainId: t.node.chainId,
        type: 'record.anchor',
        payload: anchor(`ahead-${i}`),
        createdAt: Date.now(),
      }),
    );
    // Submitted in waves so that the orderer cuts blocks while earlier ones are being written.
    const results = (
      await Promise.all([0, 1, 2, 3].map((k) => t.node.submitBatch(txs.slice(k * 300, k * 300 + 300))))
    ).flat();
    const receipts = await t.node.waitForReceipts(
      results.map((r) => r.txId!),
      20_000,
    );
    assert.ok(
      receipts.every((r) => r?.code === 'OK'),
      'every transaction committed',
    );
    for (const r of receipts)
      assert.ok(t.node.store.getTxLocation(r!.txId), 'a receipt is for a stored transaction');
    assert.deepEqual(problems, []);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      'blocks are announced in height order',
    );
    assert.ok(seen.length >= 2, `several blocks (${seen.length})`);
  } finally {
    await t.cleanup();
  }
});

test('security: a node refuses to start on a genesis that lacks a founder signature', async () => {
  const t = await makeTestLedger();
  try {
    const g = JSON.parse(JSON.stringify(t.consortium.genesis)) as typeof t.consortium.genesis;
    g.signatures = g.signatures.filter((s) => s.org !== 'hospitalB');
    await assert.rejects(
      MedledgerNode.open({
        ledgerPath: join(t.dir, 'other.sqlite'),
        genesis: g,
        org: 'hospitalA',
        nodeKey: t.consortium.orgs.get('hospitalA')!.node.privateKey,
      }),
      (e: unknown) =>
        e instanceof LedgerError && e.code === 'GENESIS_UNSIGNED' && /hospitalB/.test(e.message),
    );
    assert.equal(existsSync(join(t.dir, 'other.sqlite')), false, 'no ledger file was created');
  } finally {
    await t.cleanup();
  }
});
