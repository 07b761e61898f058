/**
 * Batched SPV reads through a real node over HTTP (`RecordsClient.readSpvMany`,
 * `POST /v1/access/records`): each read of a batch is still its own `access.request` decided
 * and logged on the ledger, and its own access-log entry when served. A denied read in a batch
 * is denied with the ledger's code and logged; the others are served and verified; the
 * served records come sealed together to the requester. A replayed access request gets no new
 * decision; a replayed batch fetch, a request listed twice, or another member's request is
 * refused, and nothing more is logged.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_HEADER, MedledgerHttpError, signRequest } from '@medledger/client';
import type { AccessDecisionEntry, AccessLogEntry } from '@medledger/core';
import { condition, makeRecordsWorld, observation, type RecordsWorld } from './helpers/records.js';

let w: RecordsWorld;
const S = 'ep-batch';

/** Served-record entries (channel spv) of `access.log` transactions on the ledger. */
function servedOnLedger(recordIds: readonly string[]): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  for (let h = 1; h <= w.node.head().height; h++) {
    const b = w.node.getBlock(h)!;
    b.block.txs.forEach((t, i) => {
      if (t.body.type !== 'access.log' || b.codes[i] !== 'OK') return;
      const entries = (t.body.payload as unknown as { entries: AccessLogEntry[] }).entries;
      out.push(
        ...entries.filter(
          (e) => e.channel === 'spv' && e.recordId !== undefined && recordIds.includes(e.recordId),
        ),
      );
    });
  }
  return out;
}

before(async () => {
  w = await makeRecordsWorld();
  for (const [id, res] of [
    ['batch-lab-1', observation(S, 5.1)],
    ['batch-lab-2', observation(S, 6.2)],
    ['batch-dx-3', condition(S)],
  ] as const)
    await w.c.alice.writeSpv({ recordId: id, patient: w.id.bob, resource: res });
  await w.c.bob.grantConsent({
    grantId: 'g-batch-baker',
    grantee: { kind: 'member', memberId: w.id.baker },
    scope: { categories: ['lab'] },
    purposes: ['treatment'],
    notBefore: 0,
    notAfter: Date.now() + 3_600_000,
  });
});
after(async () => {
  await w.cleanup();
});

test('batch: allowed reads are served and verified, a denied one is refused with the ledger’s code; each is decided and logged on the ledger', async () => {
  const ids = ['batch-lab-1', 'batch-dx-3', 'batch-lab-2'];
  const page = await w.c.baker.readSpvMany(ids.map((recordId) => ({ recordId, purpose: 'treatment' })));
  assert.equal(page.length, 3);
  const [a, denied, b] = page;
  assert.ok(a?.ok && b?.ok, JSON.stringify(page));
  assert.equal(a.record.recordId, 'batch-lab-1');
  assert.equal(a.record.verified, true);
  assert.deepEqual(a.record.resource, observation(S, 5.1));
  assert.equal(b.record.recordId, 'batch-lab-2');
  assert.equal(b.record.verified, true);
  assert.ok(denied && !denied.ok);
  assert.equal(denied.recordId, 'batch-dx-3');
  assert.notEqual(denied.code, 'ACCESS_DENIED', 'the ledger’s own code, not the holder’s');
  // Every read has its own decision on the ledger, the denied one included (the patient's log).
  await w.services.accessLog.settle();
  const decided = (await w.c.bob.accessLog()).filter(
    (e) => e.type === 'access.decided' && ids.includes(String(e.recordId)) && e.requester === w.id.baker,
  );
  assert.deepEqual(decided.map((e) => [e.recordId, e.allow]).sort(), [
    ['batch-dx-3', false],
    ['batch-lab-1', true],
    ['batch-lab-2', true],
  ]);
  const denialDecision = w.node.stateValue(
    `access:${decided.find((e) => !e.allow)!.txId}`,
  ) as unknown as AccessDecisionEntry;
  assert.equal(denialDecision.code, denied.code);
  // The served records, and only they, have their delivery entry on the ledger.
  const served = servedOnLedger(ids);
  assert.deepEqual(served.map((e) => e.recordId).sort(), ['batch-lab-1', 'batch-lab-2']);
  assert.ok(served.every((e) => e.requester === w.id.baker && e.outcome === 'allowed'));
});

test('batch: records whose holder the client knows and records it does not, mixed in one batch, all open in order', async () => {
  await w.c.alice.writeSpv({ recordId: 'batch-lab-4', patient: w.id.bob, resource: observation(S, 7.3) });
  // batch-lab-1 and -2 were read above (holder known); batch-lab-4 is new to baker's client.
  const ids = ['batch-lab-4', 'batch-lab-1', 'batch-lab-2', 'batch-lab-4', 'batch-lab-1'];
  const page = await w.c.baker.readSpvMany(ids.map((recordId) => ({ recordId, purpose: 'treatment' })));
  assert.deepEqual(
    page.map((r) => (r.ok ? [r.record.recordId, r.record.verified] : [r.recordId, r.code])),
    ids.map((id) => [id, true]),
  );
});

test('batch: a replayed access request in a batch submission gets no new decision', async () => {
  const { txId } = await w.c.baker.requestAccess('batch-lab-1', 'treatment');
  const tx = w.node.getTxWithProof(txId)!.tx;
  const [again] = await w.c.baker.http.submitBatch([tx], { waitMs: 5_000 });
  assert.ok(again && again.status === 'committed' && again.duplicate === true, JSON.stringify(again));
  await w.services.accessLog.settle();
  const decisions = (await w.c.bob.accessLog()).filter((e) => e.type === 'access.decided' && e.txId === txId);
  assert.equal(decisions.length, 1, 'one decision for one transaction, however often it is sent');
});

test('batch: a request listed twice, or another member’s request, is refused; nothing is served or logged for it', async () => {
  const { txId } = await w.c.baker.requestAccess('batch-lab-2', 'treatment');
  const before = servedOnLedger(['batch-lab-2']).length;
  await assert.rejects(
    w.c.baker.signed('POST', '/v1/access/records', { txIds: [txId, txId] }),
    (e: unknown) => e instanceof MedledgerHttpError && e.status === 400 && e.code === 'MALFORMED_REQUEST',
  );
  // chen asks for baker's request inside a batch: refused for that request.
  const r = await w.c.chen.signed<{
    results: { ok: boolean; error?: { code: string } }[];
    envelope?: unknown;
  }>('POST', '/v1/access/records', { txIds: [txId] });
  assert.deepEqual(
    r.results.map((x) => [x.ok, x.error?.code]),
    [[false, 'FORBIDDEN']],
  );
  assert.equal(r.envelope, undefined, 'nothing sealed, nothing served');
  await w.services.accessLog.settle();
  assert.equal(servedOnLedger(['batch-lab-2']).length, before);
});

test('batch: a replayed signed batch fetch is refused (AUTH_REPLAY) and serves nothing more', async () => {
  const { txId } = await w.c.baker.requestAccess('batch-lab-1', 'treatment');
  const baker = w.consortium.members.find((m) => m.spec.label === 'baker')!;
  const path = '/v1/access/records';
  const body = new TextEncoder().encode(JSON.stringify({ txIds: [txId] }));
  const header = signRequest({
    audience: { chainId: w.node.chainId, node: w.node.org },
    signerId: baker.memberId,
    privateKey: baker.keys.privateKey,
    method: 'POST',
    path,
    ts: Date.now(),
    body,
  });
  const send = (): Promise<Response> =>
    fetch(`${w.url}${path}`, {
      method: 'POST',
      headers: { [AUTH_HEADER]: header, 'content-type': 'application/json' },
      body,
    });
  const first = await send();
  assert.equal(first.status, 200, await first.clone().text());
  const served = ((await first.json()) as { results: { ok: boolean }[] }).results;
  assert.deepEqual(
    served.map((x) => x.ok),
    [true],
  );
  await w.services.accessLog.settle();
  const count = servedOnLedger(['batch-lab-1']).length;
  const replay = await send();
  assert.equal(replay.status, 401);
  assert.equal(((await replay.json()) as { code: string }).code, 'AUTH_REPLAY');
  await w.services.accessLog.settle();
  assert.equal(servedOnLedger(['batch-lab-1']).length, count, 'the replay was not served');
});
