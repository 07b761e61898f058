/**
 * Issue 11 §4 on a real etcd ordering log: nodes halt on a block carrying a proof that does not
 * verify, so an honest block cutter must never cut one. A dishonest node writes a forged
 * enrolment straight into etcd's `txs/` (bypassing every admission check); the honest cutter
 * screens it out, no node halts, and the consortium goes on committing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashTag, hashTagged, randomBytes, toB64u, toHex, utf8 } from '@medledger/crypto';
import { Wallet } from '@medledger/client';
import { txIdOf } from '@medledger/core';
import { trialContext, trialScope } from '@medledger/core/contracts/anonymity';
import { EtcdLog } from '../src/index.js';
import { enrollMembers, makeTestCluster, waitForHeight } from './helpers/cluster.js';

const b = (n: number): string => toB64u(randomBytes(n));

test(
  'etcd cutter: a forged enrolment put straight into the ordering log is never cut into a block; no node halts',
  { timeout: 120_000 },
  async () => {
    const t = await makeTestCluster({ nodes: 2 });
    const log = new EtcdLog({
      endpoints: t.etcd.endpoints,
      chainId: t.running.get('hospitalA')!.node.chainId,
    });
    try {
      const a = t.running.get('hospitalA')!;
      const chainId = a.node.chainId;
      await enrollMembers(t, a);
      const setup = [
        t.orgWallet('hospitalB').tx({
          chainId,
          type: 'anon.issuer.register',
          payload: { publicKey: b(96), accumulatorPublicKey: b(96), accumulated: b(48) },
          createdAt: Date.now(),
        }),
        t.orgWallet('hospitalA').tx({
          chainId,
          type: 'anon.trial.register',
          payload: { trialId: 'trial-x', minAge: 18, issuers: ['hospitalB'], attribute: 'birthDate' },
          createdAt: Date.now(),
        }),
      ];
      let top = 0;
      for (const tx of setup) {
        const r = await a.node.waitForReceipt((await a.node.submit(tx)).txId, 20_000);
        assert.equal(r?.code, 'OK');
        top = Math.max(top, r.height);
      }
      await waitForHeight(t, top);
      const issuer = a.node.stateValue('anon:issuer:hospitalB') as {
        accumulatorPublicKey: string;
        accumulated: string;
      };

      // hospitalB's node key signs an enrolment whose proof is random bytes, and puts it into
      // etcd itself: the contract alone would accept it (the request is the trial's).
      const today = Number(new Date().toISOString().slice(0, 10).replaceAll('-', ''));
      const forged = new Wallet({
        signerId: 'node:hospitalB',
        privateKey: t.consortium.orgs.get('hospitalB')!.node.privateKey,
      }).tx({
        chainId,
        type: 'anon.trial.enrol',
        payload: {
          trialId: 'trial-x',
          issuer: 'hospitalB',
          request: {
            nonce: b(32),
            now: Date.now(),
            predicates: [{ attribute: 'birthDate', min: 0, max: today - 180_000 }],
            scope: trialScope('trial-x'),
            revocation: { publicKey: issuer.accumulatorPublicKey, accumulated: issuer.accumulated },
            context: trialContext(chainId, 'trial-x'),
          },
          presentation: { attributeNames: ['birthDate'], revealed: {}, pseudonym: b(48), proof: b(600) },
        },
        createdAt: Date.now(),
      });
      const forgedId = txIdOf(forged.body);
      await log.client.put(log.txKey(forgedId)).value(JSON.stringify(forged));
      // Long enough for the cutter to cut it alone (20 ms block timeout) were it not screened.
      await new Promise((r) => setTimeout(r, 1500));

      const anchor = t.wallet('alice').tx({
        chainId,
        type: 'record.anchor',
        payload: { recordId: 'after-forgery', hash: toHex(hashTagged(HashTag.record, utf8('after'))) },
        createdAt: Date.now(),
      });
      const r = await a.node.waitForReceipt((await a.node.submit(anchor)).txId, 20_000);
      assert.equal(r?.code, 'OK', 'the consortium goes on committing');
      await waitForHeight(t, r.height);
      for (const [org, n] of t.running) {
        assert.equal(n.node.halted, undefined, `${org} did not halt`);
        assert.equal(n.node.receipt(forgedId), undefined, `${org} never applied the forged enrolment`);
      }
      const deadline = Date.now() + 10_000;
      while ((await log.client.get(log.txKey(forgedId)).exec()).kvs.length > 0) {
        assert.ok(Date.now() < deadline, 'the cutter deletes the forged transaction from the log');
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      log.client.close();
      await t.cleanup();
    }
  },
);
