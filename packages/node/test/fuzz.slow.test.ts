/**
 * Fuzzing at scale (issue 11 §8): generated transactions of every contract type, and requests
 * to every route of a full node (`startNode`: a real SQLite ledger, every service and route
 * plugin, the real fastify server driven by `app.inject`). Oracles, each fixed by how the input
 * was made (fuzz/txMutations.ts, fuzz/requestMutations.ts):
 * - no crash: no uncaught exception or unhandled rejection, the node never halts, every
 *   request is answered;
 * - no HTTP 500 (nor a batch result with code INTERNAL), and every refusal is `{ code, message }`;
 * - no accepted invalid input: a transaction broken before any contract runs is refused at
 *   admission; one with a payload or signer its contract must refuse is refused or commits with
 *   a code other than OK (and its payload fails `contract.parse`); a replay is refused or
 *   answered as the transaction it replays; a request with an invalid auth header to a route
 *   that needs one is refused;
 * - afterwards the ledger passes `verifyLedger` against the directory's genesis, the check
 *   `medledger verify` runs.
 * MEDLEDGER_FUZZ_SEED sets the seed (printed on failure by fast-check); MEDLEDGER_FUZZ_SCALE
 * scales the number of inputs (1 = the full run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { importP256PrivateKey, generateP256KeyPair, randomBytes, toHex } from '@medledger/crypto';
import { isLedgerError, type SignedTx } from '@medledger/core';
import { paths, readGenesis, routesOf, verifyLedger, type SubmitResult } from '../src/index.js';
import { enrollEveryone, startFullNode, type FullNode } from './helpers/fullNode.js';
import { loadCorpus } from './fuzz/corpus.js';
import { buildTxCase, txRecipe, type FuzzKey, type TxCase, type TxWorld } from './fuzz/txMutations.js';
import { buildRequestCase, routeRecipe, type RequestCase, type RouteWorld } from './fuzz/requestMutations.js';

const SEED = Number(process.env.MEDLEDGER_FUZZ_SEED ?? 11_8_2026);
const SCALE = Number(process.env.MEDLEDGER_FUZZ_SCALE ?? 1);
const TX_BATCH = 250;
const TX_RUNS = Math.ceil((65_000 * SCALE) / TX_BATCH);
const REQ_BATCH = 250;
const REQ_RUNS = Math.ceil((35_000 * SCALE) / REQ_BATCH);
const ANSWER_MS = 15_000;

type Inject = FullNode['running']['app']['inject'];
interface Answer {
  status: number;
  json: unknown;
  text: string;
}

async function send(
  inject: Inject,
  o: { method: string; url: string; headers?: Record<string, string>; payload?: Buffer },
): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined;
  const res = await Promise.race([
    inject({
      method: o.method as 'GET',
      url: o.url,
      headers: o.headers ?? {},
      ...(o.payload ? { payload: o.payload } : {}),
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_MS} ms`)), ANSWER_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text: res.body.slice(0, 200) };
}

const isClear = (v: unknown): boolean => {
  const e = v as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && typeof e.message === 'string' && e.message.length > 0) return true;
  // The FHIR facade answers errors in FHIR's form (an OperationOutcome whose issue carries the
  // code and the text), its token endpoint in OAuth's (RFC 6749 §5.2): both must be as clear.
  const oo = v as
    | { resourceType?: unknown; issue?: { details?: { coding?: { code?: unknown }[]; text?: unknown } }[] }
    | undefined;
  const d = oo?.resourceType === 'OperationOutcome' ? oo.issue?.[0]?.details : undefined;
  if (typeof d?.coding?.[0]?.code === 'string' && typeof d.text === 'string' && d.text.length > 0)
    return true;
  const oauth = v as { error?: unknown; error_description?: unknown } | undefined;
  return (
    typeof oauth?.error === 'string' &&
    typeof oauth.error_description === 'string' &&
    oauth.error_description.length > 0
  );
};

/** The oracle of one answer that is not a success: a clear refusal, never a 500. */
function checkRefusal(what: string, a: Answer): void {
  assert.ok(a.status < 500, `${what}: HTTP ${a.status} ${a.text}`);
  assert.ok(isClear(a.json), `${what}: HTTP ${a.status} without { code, message }: ${a.text}`);
}

/**
 * fast-check's options: the fixed seed, and on failure one short report — the seed and path
 * that replay it, and the failing input's own message (the batch of recipes is long).
 */
function runOptions(numRuns: number): fc.Parameters<[unknown]> {
  return {
    seed: SEED,
    numRuns,
    endOnFailure: true,
    reporter(out) {
      if (!out.failed) return;
      const e = out.errorInstance as Error | undefined;
      throw new Error(
        `fuzz failed (replay: MEDLEDGER_FUZZ_SEED=${out.seed}, fast-check path ${out.counterexamplePath}): ${e?.stack ?? 'no message'}`,
      );
    },
  };
}

const key = (id: string, pkcs8: Uint8Array): FuzzKey => ({ id, privateKey: importP256PrivateKey(pkcs8) });

test(
  'fuzz: 100,000 generated transactions of every type and requests to every route — no crash, no HTTP 500, no accepted invalid input, and the ledger verifies',
  { timeout: 600_000 },
  async () => {
    const started = Date.now();
    const crashes: string[] = [];
    const onCrash = (e: unknown): void => void crashes.push(String((e as Error)?.stack ?? e));
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const f = await startFullNode([
      { label: 'doc', org: 'hospitalA', role: 'doctor' },
      { label: 'doc2', org: 'hospitalB', role: 'doctor' },
      { label: 'nurse', org: 'hospitalA', role: 'nurse' },
      { label: 'p1', org: 'hospitalA', role: 'patient' },
      { label: 'p2', org: 'hospitalA', role: 'patient' },
      { label: 'gone', org: 'hospitalA', role: 'nurse' },
    ]);
    let closed = false;
    try {
      const { node, app } = f.running;
      const inject = app.inject.bind(app) as Inject;
      await enrollEveryone(f);
      const gone = f.member('gone');
      const revoke = f.orgWallet('hospitalA').tx({
        chainId: node.chainId,
        type: 'registry.revoke',
        payload: { memberId: gone.memberId, reason: 'left' },
        createdAt: Date.now(),
      });
      assert.equal((await node.waitForReceipt((await node.submit(revoke)).txId, 10_000))?.code, 'OK');

      const m = (label: string): FuzzKey => key(f.member(label).memberId, f.member(label).keys.privateKey);
      const orgKey = (org: string): FuzzKey => key(`org:${org}`, f.consortium.orgs.get(org)!.root.privateKey);
      const nodeKey = (org: string): FuzzKey =>
        key(`node:${org}`, f.consortium.orgs.get(org)!.node.privateKey);
      const stranger = generateP256KeyPair();
      const contracts = node.contracts;
      const corpus = loadCorpus();

      // Every registered contract has seeds, and every seed is a payload its contract accepts.
      const types = contracts.types();
      assert.ok(types.length >= 60, `every contract is registered (${types.length})`);
      assert.deepEqual(
        types.filter((t) => !corpus[t]?.length),
        [],
        'every registered transaction type has seeds in fuzz/corpus.json',
      );
      for (const t of types)
        for (const s of corpus[t]!)
          assert.doesNotThrow(() => contracts.get(t)!.parse(s.payload), `seed of ${t}`);

      const tw: TxWorld = {
        chainId: node.chainId,
        contracts,
        corpus,
        doctors: [m('doc'), m('doc2')],
        patients: [m('p1'), m('p2')],
        members: ['doc', 'doc2', 'nurse', 'p1', 'p2'].map(m),
        orgs: [orgKey('hospitalA'), orgKey('hospitalB')],
        nodes: [nodeKey('hospitalA'), nodeKey('hospitalB')],
        revoked: m('gone'),
        stranger: key(toHex(randomBytes(32)), stranger.privateKey),
        admitted: [],
        grantee: f.member('doc2').memberId,
      };

      const phase = (name: string): void =>
        void (
          process.env.MEDLEDGER_FUZZ_DEBUG &&
          console.log(`${name} at ${((Date.now() - started) / 1000).toFixed(1)} s`)
        );
      phase('setup');
      // ---- transactions ---------------------------------------------------------------
      const txCounts: Record<string, number> = {};
      const codes: Record<string, number> = {};
      let txInputs = 0;
      const rememberAdmitted = (c: TxCase, id: string): void => {
        if (c.expect === 'replay' || tw.admitted.length >= 2000) return;
        const tx = JSON.parse(c.body.toString('utf8')) as SignedTx;
        tw.admitted.push({ tx, id, text: c.body.toString('utf8') });
      };
      // Admitted transactions whose receipt must be OK (live) or not OK (invalid payload or signer).
      let previous: { c: TxCase; id: string }[] = [];
      const checkCommitted = async (batch: { c: TxCase; id: string }[]): Promise<void> => {
        const receipts = await node.waitForReceipts(
          batch.map((x) => x.id),
          20_000,
        );
        batch.forEach(({ c, id }, i) => {
          const code = receipts[i]?.code;
          const what = `${c.type} ${c.mutation} (${c.expect}) ${id}`;
          assert.ok(code !== undefined, `${what}: no receipt`);
          codes[code] = (codes[code] ?? 0) + 1;
          if (c.expect === 'ok') assert.equal(code, 'OK', `${what}: the valid transaction committed ${code}`);
          else assert.notEqual(code, 'OK', `${what}: an invalid transaction committed OK`);
        });
      };
      await fc.assert(
        fc.asyncProperty(
          fc.array(txRecipe, { minLength: TX_BATCH, maxLength: TX_BATCH }),
          async (recipes) => {
            const cases = recipes.map((r) => buildTxCase(tw, r));
            const mustCommit: { c: TxCase; id: string }[] = [];
            /** The oracle of one transaction's answer: refused clearly, or admitted as it may be. */
            const judge = (
              c: TxCase,
              a: { refused: Answer } | { txId: string; duplicate?: boolean },
            ): void => {
              txInputs++;
              txCounts[c.expect] = (txCounts[c.expect] ?? 0) + 1;
              const what = `${c.type} ${c.mutation} (${c.expect})`;
              if ('refused' in a) {
                checkRefusal(what, a.refused);
                assert.notEqual(
                  c.expect,
                  'ok',
                  `${what}: the valid transaction was refused: ${a.refused.text}`,
                );
                return;
              }
              if (c.expect === 'replay') {
                assert.equal(a.txId, c.replayOf, `${what}: a replay answered as another transaction`);
                assert.equal(a.duplicate, true, `${what}: a replay admitted again`);
                return;
              }
              assert.ok(c.expect !== 'refuse', `${what}: admitted as ${a.txId}`);
              assert.notEqual(a.duplicate, true, `${what}: a fresh transaction answered as a duplicate`);
              rememberAdmitted(c, a.txId);
              if (c.expect === 'ok' || c.expect === 'not-ok') mustCommit.push({ c, id: a.txId });
            };
            for (const c of cases) {
              // Where a contract must refuse the payload, its parser must already.
              if (!c.badPayload) continue;
              const contract = contracts.get(c.badPayload.type)!;
              assert.throws(
                () => contract.parse(c.badPayload!.payload),
                (e: unknown) => isLedgerError(e),
                `${c.type} ${c.mutation}: parse accepts the payload with ${c.badPayload.change}`,
              );
            }
            // Encoding mutations and one in eight of the others go alone to POST /v1/txs; the rest
            // in batches of 25 to POST /v1/txs/batch (each transaction gets its own result).
            const alone = cases.filter((c, i) => c.mutation.startsWith('enc.') || i % 8 === 0);
            const batched = cases.filter((c, i) => !(c.mutation.startsWith('enc.') || i % 8 === 0));
            const batches: TxCase[][] = [];
            for (let i = 0; i < batched.length; i += 25) batches.push(batched.slice(i, i + 25));
            const single = async (c: TxCase): Promise<void> => {
              const a = await send(inject, {
                method: 'POST',
                url: '/v1/txs',
                headers: { 'content-type': c.contentType },
                payload: c.body,
              }).catch((e: Error) => {
                throw new Error(`${c.type} ${c.mutation} (${c.expect}): ${e.message}`);
              });
              if (a.status >= 300) return judge(c, { refused: a });
              judge(c, a.json as { txId: string; duplicate?: boolean });
            };
            await Promise.all([
              ...alone.map(single),
              ...batches.map(async (b) => {
                const payload = Buffer.concat([
                  Buffer.from('{"txs":['),
                  ...b.flatMap((c, i) => (i === 0 ? [c.body] : [Buffer.from(','), c.body])),
                  Buffer.from(']}'),
                ]);
                const a = await send(inject, {
                  method: 'POST',
                  url: '/v1/txs/batch',
                  headers: { 'content-type': 'application/json' },
                  payload,
                });
                if (a.status !== 200) {
                  // A batch whose JSON the server refuses as a whole (e.g. a `__proto__` key deep in
                  // one payload): refused clearly, and then each transaction goes alone.
                  checkRefusal(`a batch of ${b.map((c) => c.mutation).join(', ')}`, a);
                  for (const c of b) await single(c);
                  return;
                }
                const results = (a.json as { results: SubmitResult[] }).results;
                assert.equal(results.length, b.length);
                b.forEach((c, i) => {
                  const r = results[i]!;
                  if (r.status === 'rejected')
                    return judge(c, {
                      refused: {
                        status: r.error.code === 'INTERNAL' ? 500 : 400,
                        json: r.error,
                        text: JSON.stringify(r.error),
                      },
                    });
                  judge(c, { txId: r.txId, ...('duplicate' in r && r.duplicate ? { duplicate: true } : {}) });
                });
              }),
            ]);
            // The receipts of the batch before (committed by now: no waiting on this batch's block).
            await checkCommitted(previous);
            previous = mustCommit;
            assert.equal(node.halted, undefined, `the node halted: ${node.halted?.message}`);
            assert.deepEqual(crashes, [], 'no uncaught exception');
          },
        ),
        runOptions(TX_RUNS),
      );
      await checkCommitted(previous);
      assert.ok(
        (txCounts.ok ?? 0) > 0 && (codes.OK ?? 0) >= (txCounts.ok ?? 0),
        'the live transactions commit OK',
      );
      assert.ok((txCounts.refuse ?? 0) > 0 && (txCounts['not-ok'] ?? 0) > 0 && (txCounts.replay ?? 0) > 0);

      phase('transactions');
      // ---- requests -------------------------------------------------------------------
      const routes = routesOf(app);
      const head = node.head().height;
      const rw: RouteWorld = {
        routes,
        audience: { chainId: node.chainId, node: node.org },
        member: m('doc'),
        patient: m('p1'),
        otherPatient: m('p2'),
        peer: nodeKey('hospitalB'),
        revoked: m('gone'),
        stranger: tw.stranger,
        params: {
          id: [tw.admitted[0]?.id ?? 'ab'.repeat(32), 'ab'.repeat(32)],
          txId: [tw.admitted[1]?.id ?? 'cd'.repeat(32), 'cd'.repeat(32)],
          height: ['1', String(head), String(head + 5)],
          key: ['anchor:x', `member:${f.member('p1').memberId}`, 'org:hospitalA'],
          recordId: ['rec-1', 'x'],
          rxId: ['rx-1'],
          gtin: ['09506000134352', '1'],
          serial: ['S1'],
          org: ['hospitalA', 'hospitalB', 'nope'],
          r: ['0', '1'],
          grantId: ['g-1'],
          webhookId: ['ef'.repeat(16)],
          groupId: ['group-1'],
          trialId: ['trial-1'],
          patient: [f.member('p1').memberId],
        },
      };
      // A route needs authentication if it refuses a request without a header (the
      // authorization matrix checks which routes those are).
      const needsAuth = new Set<string>();
      for (const r of routes) {
        const c = buildRequestCase(rw, {
          route: routes.indexOf(r),
          param: 0,
          paramText: '',
          query: 0,
          queryPairs: [],
          auth: 'none',
          body: 'empty-object',
          contentType: 0,
          n: 0,
          junk: null,
        });
        const a = await send(inject, c);
        if (a.status === 401) needsAuth.add(c.route);
      }
      assert.ok(needsAuth.size >= 30, `routes that need authentication: ${needsAuth.size}`);
      const reqCounts: Record<string, number> = {};
      const spent = new Map<string, number>();
      let reqInputs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(routeRecipe, { minLength: REQ_BATCH, maxLength: REQ_BATCH }),
          async (recipes) => {
            await Promise.all(
              recipes.map(async (rr) => {
                const c: RequestCase = buildRequestCase(rw, rr);
                const fail = (e: Error): never => {
                  throw new Error(
                    `${c.method} ${c.url.slice(0, 120)} [${c.route}] auth=${c.auth}: ${e.message}`,
                  );
                };
                if (c.primeWith) await send(inject, { method: c.method, ...c.primeWith }).catch(fail);
                const t0 = performance.now();
                const a = await send(inject, c).catch(fail);
                const slow = `${c.route} body=${(c.payload?.length ?? 0) > 100_000 ? 'large' : 'small'}`;
                spent.set(slow, (spent.get(slow) ?? 0) + performance.now() - t0);
                reqInputs++;
                reqCounts[c.auth] = (reqCounts[c.auth] ?? 0) + 1;
                const what = `${c.method} ${c.url.slice(0, 160)} [${c.route}] auth=${c.auth}`;
                if (a.status >= 400) checkRefusal(what, a);
                // A path with dot segments (`/fhir/R4/../..`, or `%2e%2e`) is resolved before routing
                // (RFC 3986 §5.2.4), so it reaches another route than the recipe's: `/` (the
                // portal's page, public) for this one. Its answer is checked as a refusal
                // above, not as the recipe's route.
                const rawPath = c.url.split('?')[0]!;
                const resolvedElsewhere = /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(rawPath);
                if (c.authInvalid && needsAuth.has(c.route) && !resolvedElsewhere)
                  assert.ok(
                    a.status >= 400,
                    `${what}: an invalid auth header was accepted (${a.status} ${a.text})`,
                  );
              }),
            );
            assert.equal(node.halted, undefined, `the node halted: ${node.halted?.message}`);
            assert.deepEqual(crashes, [], 'no uncaught exception');
          },
        ),
        runOptions(REQ_RUNS),
      );

      phase('requests');
      if (process.env.MEDLEDGER_FUZZ_DEBUG)
        console.log(
          [...spent]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 12)
            .map(([k, v]) => `${k}: ${(v / 1000).toFixed(1)} s`)
            .join('\n'),
        );
      // ---- the ledger verifies ----------------------------------------------------------
      const height = node.head().height;
      await f.running.close();
      closed = true;
      const report = await verifyLedger(paths(f.dir).ledger, { genesis: readGenesis(f.dir) });
      assert.ok(report.ok, `the ledger verifies: ${report.ok ? '' : report.reason}`);
      assert.equal(report.height, height);
      assert.deepEqual(crashes, [], 'no uncaught exception');

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const list = (o: Record<string, number>): string =>
        Object.entries(o)
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
      console.log(
        `fuzz: ${txInputs + reqInputs} inputs in ${seconds} s (seed ${SEED}): ${txInputs} transactions [${list(txCounts)}; committed ${list(codes)}], ${reqInputs} requests to ${routes.length} routes [auth ${list(reqCounts)}]; 0 crashes, 0 HTTP 500, 0 accepted invalid; ledger verified at height ${height}`,
      );
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      if (closed) rmSync(f.dir, { recursive: true, force: true });
      else await f.cleanup();
    }
  },
);
