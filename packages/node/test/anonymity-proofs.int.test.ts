/**
 * Issue 11 §4, the ledger checks proofs itself: a trial enrolment and an anonymous read log
 * carry a BBS credential presentation, and every honest node verifies it, whatever node key
 * relayed it. A dishonest node (here hospitalB's node key, a current consortium node) relays
 * forged proofs: a valid presentation moved to another trial, a proof of a predicate other
 * than the one claimed, a flipped byte, a disclosed role changed. The honest node (hospitalA)
 * refuses each at admission (PROOF_INVALID), refuses a block carrying one as a bad block and
 * halts, and `verify` names the block of a ledger that holds one. Valid proofs relayed by the
 * same dishonest node pass everywhere (the refusal is the proof's, not the relay's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  fromB64u,
  importP256PrivateKey,
  randomBytes,
  toB64u,
  toHex,
  type JsonValue,
} from '@medledger/crypto';
import {
  presentCredential,
  presentationRequestToJson,
  presentationToJson,
  type PresentationRequest,
} from '@medledger/crypto/credentials';
import { ageAtLeast, timeToDateNumber } from '@medledger/crypto/zk';
import { Wallet } from '@medledger/client';
import type { HeldCredential } from '@medledger/client';
import {
  LedgerError,
  chainIdOf,
  signBlockHeader,
  txIdOf,
  txRootOf,
  type Block,
  type BlockHeader,
  type SignedTx,
  type TxType,
} from '@medledger/core';
import { anonReadContext, getIssuer, trialContext, trialScope } from '@medledger/core/contracts/anonymity';
import { SoloOrderer, verifyLedger, type BlockHandler, type ChainView, type Orderer } from '../src/index.js';
import { makeAnonLedger, type AnonLedger } from './helpers/anonymity.js';

/** Solo ordering plus a tap through which the test hands the node a block "from the log". */
class TapOrderer implements Orderer {
  readonly name = 'tap';
  #onBlock: BlockHandler | undefined;
  constructor(readonly inner: SoloOrderer) {}
  order(tx: SignedTx, txId: string, size: number): Promise<void> {
    return this.inner.order(tx, txId, size);
  }
  start(view: ChainView, onBlock: BlockHandler): Promise<void> {
    this.#onBlock = onBlock;
    return this.inner.start(view, onBlock);
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
  deliver(block: Block): Promise<void> {
    return this.#onBlock!(block, 'ordered');
  }
}

interface World {
  a: AnonLedger;
  /** hospitalB's node key: the dishonest relay and cutter. */
  evil: Wallet;
  evilKey: Uint8Array;
  adam: HeldCredential;
  carol: HeldCredential;
  tap?: TapOrderer;
}

async function world(o: { tap?: boolean; noProofChecks?: boolean } = {}): Promise<World> {
  let tap: TapOrderer | undefined;
  const a = await makeAnonLedger({
    extraMembers: [{ label: 'adam', org: 'hospitalB', role: 'patient' }],
    birthDates: { adam: 19800501 },
    ...(o.tap
      ? {
          orderer: (c) =>
            (tap = new TapOrderer(
              new SoloOrderer({
                chainId: chainIdOf(c.genesis),
                proposer: 'hospitalA',
                nodeKey: importP256PrivateKey(c.orgs.get('hospitalA')!.node.privateKey),
                params: c.genesis.ordering,
              }),
            )),
        }
      : {}),
    ...(o.noProofChecks ? { proofCheckers: new Map() } : {}),
  });
  const { t } = a;
  for (const [trialId, minAge] of [
    ['trial-adult', 18],
    ['trial-senior', 65],
  ] as const)
    await a.submit(t.orgWallet('hospitalA'), 'anon.trial.register', {
      trialId,
      minAge,
      issuers: ['hospitalB'],
      attribute: 'birthDate',
    });
  await a.submit(t.wallet('pat'), 'patient.careteam', { add: [a.id('alice')], remove: [] });
  await a.submit(t.wallet('alice'), 'record.spv', {
    recordId: 'lab-1',
    patient: a.id('pat'),
    subject: 'ep1-abc',
    category: 'lab',
    resourceType: 'Observation',
    responsible: [a.id('alice')],
    k: 1,
    prev: null,
    commitment: toHex(randomBytes(32)),
    holder: 'hospitalA',
  });
  const adam0 = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('adam') });
  const carol0 = await a.anon.requestCredential({ issuer: 'hospitalB', ...a.signer('carol') });
  const evilKey = t.consortium.orgs.get('hospitalB')!.node.privateKey;
  return {
    a,
    evil: new Wallet({ signerId: 'node:hospitalB', privateKey: evilKey }),
    evilKey,
    adam: await a.anon.refresh('hospitalB', adam0),
    carol: await a.anon.refresh('hospitalB', carol0),
    ...(tap ? { tap } : {}),
  };
}

/** The revocation part of a request: the issuer's accumulator now on the ledger. */
function revocation(w: World): NonNullable<PresentationRequest['revocation']> {
  const issuer = getIssuer(w.a.t.node.store, 'hospitalB')!;
  return { publicKey: fromB64u(issuer.accumulatorPublicKey), accumulated: fromB64u(issuer.accumulated) };
}

function enrolRequest(
  w: World,
  trialId: string,
  minAge: number,
  nonce = randomBytes(32),
): PresentationRequest {
  const now = Date.now();
  return {
    nonce,
    now,
    predicates: [ageAtLeast(minAge, timeToDateNumber(now), 'birthDate')],
    scope: trialScope(trialId),
    revocation: revocation(w),
    context: trialContext(w.a.t.node.chainId, trialId),
  };
}

const json = (x: unknown): { [k: string]: JsonValue } => x as { [k: string]: JsonValue };

function relayed(w: World, type: TxType, payload: { [k: string]: JsonValue }): SignedTx {
  return w.evil.txFromJson({ chainId: w.a.t.node.chainId, type, payload, createdAt: Date.now() });
}

function flipProofByte(presentation: { [k: string]: JsonValue }): { [k: string]: JsonValue } {
  const proof = fromB64u(presentation.proof as string);
  const i = proof.length >> 1;
  proof[i] = proof[i]! ^ 0x01;
  return { ...presentation, proof: toB64u(proof) };
}

/** Forged enrolments in trial-senior (age >= 65) that adam (born 1980) cannot honestly make. */
async function forgedEnrolments(w: World): Promise<{ valid: SignedTx; forged: [string, SignedTx][] }> {
  // A valid enrolment in trial-adult, relayed by the dishonest node: the control.
  const adultReq = enrolRequest(w, 'trial-adult', 18);
  const adultPres = presentationToJson(await presentCredential(w.adam.credential, adultReq, w.adam.witness));
  const valid = relayed(w, 'anon.trial.enrol', {
    trialId: 'trial-adult',
    issuer: 'hospitalB',
    request: json(presentationRequestToJson(adultReq)),
    presentation: json(adultPres),
  });
  // 1. The valid trial-adult presentation, under a request rewritten to trial-senior.
  const moved = relayed(w, 'anon.trial.enrol', {
    trialId: 'trial-senior',
    issuer: 'hospitalB',
    request: json(presentationRequestToJson(enrolRequest(w, 'trial-senior', 65, adultReq.nonce))),
    presentation: json(adultPres),
  });
  // 2. A true predicate (age >= 40) proven in trial-senior's scope and context, relayed as
  //    the trial's false one (age >= 65).
  const weakReq = {
    ...enrolRequest(w, 'trial-senior', 65),
    predicates: [ageAtLeast(40, timeToDateNumber(Date.now()))],
  };
  const weakPres = await presentCredential(w.adam.credential, weakReq, w.adam.witness);
  const falsePredicate = relayed(w, 'anon.trial.enrol', {
    trialId: 'trial-senior',
    issuer: 'hospitalB',
    request: json(
      presentationRequestToJson({ ...weakReq, predicates: enrolRequest(w, 'trial-senior', 65).predicates! }),
    ),
    presentation: json(presentationToJson(weakPres)),
  });
  // 3. A flipped byte in the proof of a valid enrolment (in trial-senior's request it would
  //    not verify anyway; here the request is the valid trial-adult one).
  const flipped = relayed(w, 'anon.trial.enrol', {
    trialId: 'trial-adult',
    issuer: 'hospitalB',
    request: json(presentationRequestToJson(adultReq)),
    presentation: flipProofByte(json(adultPres)),
  });
  return {
    valid,
    forged: [
      ['a presentation for another trial', moved],
      ['a false predicate', falsePredicate],
      ['a flipped proof byte', flipped],
    ],
  };
}

/** Anonymous read logs of lab-1 by the dishonest node: one valid, forged ones. */
async function forgedReadLogs(w: World): Promise<{ valid: SignedTx; forged: [string, SignedTx][] }> {
  const request = (): PresentationRequest => ({
    nonce: randomBytes(32),
    now: Date.now(),
    reveal: ['organization', 'role'],
    revocation: revocation(w),
    context: anonReadContext(w.a.t.node.chainId, 'hospitalB'),
  });
  const log = (req: PresentationRequest, presentation: { [k: string]: JsonValue }): SignedTx =>
    relayed(w, 'anon.read.log', {
      recordId: 'lab-1',
      purpose: 'treatment',
      outcome: 'allowed',
      at: Date.now(),
      issuer: 'hospitalB',
      request: json(presentationRequestToJson(req)),
      presentation,
    });
  const r1 = request();
  const valid = log(
    r1,
    json(presentationToJson(await presentCredential(w.carol.credential, r1, w.carol.witness))),
  );
  const r2 = request();
  const nurse = json(presentationToJson(await presentCredential(w.carol.credential, r2, w.carol.witness)));
  const r3 = request();
  const other = json(presentationToJson(await presentCredential(w.carol.credential, r3, w.carol.witness)));
  return {
    valid,
    forged: [
      [
        'a nurse presented as a doctor',
        log(r2, { ...nurse, revealed: { organization: 'hospitalB', role: 'doctor' } }),
      ],
      ['a flipped proof byte', log(r3, flipProofByte(other))],
      ['a presentation answering another request', log(request(), other)],
    ],
  };
}

async function makeBlock(w: World, txs: SignedTx[]): Promise<Block> {
  const node = w.a.t.node;
  const head = node.head();
  const header: BlockHeader = {
    chainId: node.chainId,
    height: head.height + 1,
    prevHash: head.hash,
    txRoot: txRootOf(txs),
    stateDigest: head.stateDigest,
    time: Math.max(Date.now(), head.time),
    proposer: 'hospitalB',
    txCount: txs.length,
  };
  return { header, txs, proposerSig: signBlockHeader(header, w.evilKey) };
}

const refusedAs =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof LedgerError && e.code === code;

for (const [kind, forge] of [
  ['trial enrolment', forgedEnrolments],
  ['anonymous read log', forgedReadLogs],
] as const) {
  test(`proofs at admission and in blocks: an honest node refuses a forged ${kind} relayed by another node key, and halts on a block carrying one`, async () => {
    const w = await world({ tap: true });
    try {
      const { valid, forged } = await forge(w);
      const node = w.a.t.node;
      for (const [what, tx] of forged)
        await assert.rejects(node.submit(tx), refusedAs('PROOF_INVALID'), `${what} is refused at admission`);
      if (kind === 'anonymous read log') {
        // The old way, an access.log entry on the anonymous channel with no proof, is gone.
        const bare = relayed(w, 'access.log', {
          entries: [
            {
              recordId: 'lab-1',
              requester: toHex(randomBytes(32)),
              purpose: 'treatment',
              channel: 'anon-credential',
              outcome: 'allowed',
              at: Date.now(),
            },
          ],
        });
        await assert.rejects(node.submit(bare), refusedAs('INVALID_PAYLOAD'), 'a proofless anonymous log');
      }
      assert.equal(node.mempool.size, 0, 'nothing refused is pending');

      // A dishonest cutter (hospitalB's node key) writes blocks itself. The control: its block
      // with a valid proof, relayed by the same node key, is applied.
      const alarms: Error[] = [];
      node.on('alarm', (e: Error) => alarms.push(e));
      const good = await makeBlock(w, [valid]);
      await w.tap!.deliver(good);
      assert.equal((await node.waitForReceipt(txIdOf(valid.body), 10_000))?.code, 'OK');
      // The receipt can be read from the store a moment before the node reports the new head.
      for (let i = 0; i < 500 && node.head().height < good.header.height; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(node.head().height, good.header.height);
      const [what, tx] = forged[0]!;
      const bad = await makeBlock(w, [tx]);
      await assert.rejects(w.tap!.deliver(bad), refusedAs('BAD_BLOCK'), `a block with ${what} is refused`);
      assert.match(alarms[0]?.message ?? '', /does not verify/);
      assert.ok(node.halted, 'the node halts with an alarm');
      assert.equal(node.head().height, good.header.height, 'nothing of the bad block is applied');
      assert.equal(node.receipt(txIdOf(tx.body)), undefined, 'the forged transaction has no receipt');
    } finally {
      await w.a.close();
    }
  });

  test(`proofs in verify: a ledger holding a forged ${kind} fails verify at its block`, async () => {
    // A node that checks no proofs (an old or dishonest one) writes a consistent ledger.
    const w = await world({ noProofChecks: true });
    try {
      const { valid, forged } = await forge(w);
      const node = w.a.t.node;
      await w.a.commit(valid);
      const before = await verifyLedger(join(w.a.t.dir, 'ledger.sqlite'), { sigWorkers: 1 });
      assert.equal(before.ok, true, JSON.stringify(before));
      const [what, tx] = forged[1]!;
      await w.a.commit(tx); // the contract alone accepts it
      const at = node.receipt(txIdOf(tx.body))!.height;
      const after = await verifyLedger(join(w.a.t.dir, 'ledger.sqlite'), { sigWorkers: 1 });
      assert.equal(after.ok, false, `verify flags ${what}`);
      assert.equal(after.height, at);
      assert.match((after as { reason: string }).reason, /does not verify/);
    } finally {
      await w.a.close();
    }
  });
}
