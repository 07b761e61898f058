/**
 * Test world of the federated-learning integration tests: the in-process demo consortium
 * (node/src/fl/demo.ts: a real node on a SQLite ledger, the fastify server with the fl routes,
 * four hospitals with SQLite EHR stores and running participants, the institute's aggregator)
 * over a small seeded slice of the WDBC data, hospitalD holding mostly malignant cases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlClient } from '@medledger/client';
import type { StateReader } from '@medledger/core';
import { getRound, getStudy, type FlRound, type FlStudy } from '@medledger/core/contracts/fl';
import {
  loadWdbc,
  splitWdbc,
  startFlDemo,
  type FlDemo,
  type FlDemoOptions,
  type WdbcRow,
} from '../../src/fl/index.js';

export const HOSPITALS = ['hospitalA', 'hospitalB', 'hospitalC', 'hospitalD'];

export interface FlTestWorld {
  demo: FlDemo;
  state: StateReader;
  test: WdbcRow[];
  rows: Map<string, WdbcRow[]>;
  study(id: string): FlStudy;
  round(id: string, r: number): FlRound;
  /** An HTTP client of the fl routes, signing as the institute's researcher. */
  client(): FlClient;
  /** Resolves when the study is done or failed. */
  finished(id: string, timeoutMs?: number): Promise<FlStudy>;
  cleanup(): Promise<void>;
}

export async function flTestWorld(
  o: {
    perHospital?: number;
    consents?: FlDemoOptions['consents'];
    ledgerFor?: FlDemoOptions['ledgerFor'];
  } = {},
): Promise<FlTestWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-fl-'));
  const { test, byHospital } = splitWdbc({
    rows: loadWdbc(),
    hospitals: HOSPITALS,
    seed: 'medledger-fl-test',
  });
  const rows = new Map([...byHospital].map(([h, r]) => [h, r.slice(0, o.perHospital ?? 12)]));
  let demo: FlDemo;
  try {
    demo = await startFlDemo({
      dir,
      rows,
      ...(o.consents ? { consents: o.consents } : {}),
      ...(o.ledgerFor ? { ledgerFor: o.ledgerFor } : {}),
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const state: StateReader = { get: (k) => demo.node.stateValue(k), hasCommittedTx: () => false };
  const w: FlTestWorld = {
    demo,
    state,
    test,
    rows,
    study: (id) => getStudy(state, id)!,
    round: (id, r) => getRound(state, id, r)!,
    client: () =>
      new FlClient(demo.url, {
        signerId: demo.researcher.memberId,
        privateKey: demo.researcher.keys.privateKey,
      }),
    async finished(id, timeoutMs = 60_000) {
      await demo.until(
        () => ['done', 'failed'].includes(getStudy(state, id)?.status ?? ''),
        timeoutMs,
        `study ${id}`,
      );
      return w.study(id);
    },
    async cleanup() {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
}
