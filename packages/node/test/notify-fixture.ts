/**
 * Notification test fixture: a real node on a real SQLite ledger, a patient with a care team
 * and an SPV record, the notification hub and its routes on a real HTTP port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes, toHex, type JsonValue } from '@medledger/crypto';
import type { Receipt } from '../src/index.js';
import { RequestAuthenticator, buildServer } from '../src/index.js';
import {
  createNotificationHub,
  type CreateNotificationHubParameters,
  type NotificationHub,
} from '../src/notify/hub.js';
import { notificationRoutes, type NotificationRoutesOptions } from '../src/api/routes/notifications.js';
import { enrollAll, makeTestLedger, type TestLedger } from './helpers/ledger.js';
import type { TxType } from '@medledger/core';

export const DAY = 86_400_000;

export interface NotifyWorld {
  t: TestLedger;
  hub: NotificationHub;
  baseUrl: string;
  patientId: string;
  patientKey: Uint8Array;
  doctorId: string;
  /** A doctor of hospitalB, outside the care team: reads only with a grant. */
  otherId: string;
  /** Submits a transaction signed by `label` and waits for its OK receipt. */
  run(label: string, type: TxType, payload: { [k: string]: JsonValue }): Promise<Receipt>;
  grant(grantId: string, grantee?: string): Promise<Receipt>;
  request(recordId: string, who?: string): Promise<Receipt>;
  restartHub(): Promise<void>;
  /** Restarts the hub with other options (e.g. another outbound policy). */
  restartHubWith(more: Partial<CreateNotificationHubParameters>): Promise<void>;
  /** Closes the hub (its store file stays); `startHub` opens a new one on the same file. */
  stopHub(): Promise<void>;
  startHub(): void;
  close(): Promise<void>;
}

export async function notifyWorld(
  o: {
    hub?: Partial<CreateNotificationHubParameters>;
    routes?: NotificationRoutesOptions;
  } = {},
): Promise<NotifyWorld> {
  const t = await makeTestLedger({
    members: [
      { label: 'pat', org: 'hospitalA', role: 'patient' },
      { label: 'doc', org: 'hospitalA', role: 'doctor' },
      { label: 'other', org: 'hospitalB', role: 'doctor' },
    ],
  });
  await enrollAll(t);
  const nodeKey = t.consortium.orgs.get('hospitalA')!.node.privateKey;
  const mkHub = (more: Partial<CreateNotificationHubParameters> = {}): NotificationHub =>
    createNotificationHub(t.node, {
      dbPath: join(t.dir, 'notify.sqlite'),
      nodeKey,
      org: 'hospitalA',
      // The hook receivers of these tests listen on loopback, which is refused by default.
      outbound: { allow: ['127.0.0.1'] },
      ...o.hub,
      ...more,
    });
  const w = {
    t,
    hub: mkHub(),
    baseUrl: '',
    patientId: t.member('pat').memberId,
    patientKey: t.member('pat').keys.privateKey,
    doctorId: t.member('doc').memberId,
    otherId: t.member('other').memberId,
  } as NotifyWorld;
  w.run = async (label, type, payload) => {
    const tx = t.wallet(label).txFromJson({ chainId: t.node.chainId, type, payload, createdAt: Date.now() });
    const r = await t.node.submit(tx);
    const rec = await t.node.waitForReceipt(r.txId, 10_000);
    if (rec?.code !== 'OK') throw new Error(`${type}: ${rec?.code} ${rec?.message ?? ''}`);
    return rec;
  };
  w.grant = (grantId, grantee = w.otherId) =>
    w.run('pat', 'consent.grant', {
      grantId,
      grantee: { kind: 'member', memberId: grantee },
      scope: { categories: ['lab'] },
      purposes: ['treatment'],
      notBefore: Date.now() - 60_000,
      notAfter: Date.now() + DAY,
    });
  w.request = (recordId, who = 'other') => w.run(who, 'access.request', { recordId, purpose: 'treatment' });

  await w.run('pat', 'patient.careteam', { add: [w.doctorId], remove: [] });
  await w.run('doc', 'record.spv', {
    recordId: 'lab-1',
    patient: w.patientId,
    subject: 'ep1-abc',
    category: 'lab',
    resourceType: 'Observation',
    responsible: [w.doctorId],
    k: 1,
    prev: null,
    commitment: toHex(randomBytes(32)),
    holder: 'hospitalA',
  });

  // The hub follows the feed asynchronously: let it store the setup's notifications now, so
  // webhooks a test registers next do not receive them.
  await w.hub.synced();

  const app = buildServer(t.node, {
    plugins: [notificationRoutes(w.hub, new RequestAuthenticator(t.node), o.routes)],
  });
  // The routes keep the first hub: tests that restart the hub use it directly, not over HTTP.
  await app.listen({ host: '127.0.0.1', port: 0 });
  w.baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  w.stopHub = () => w.hub.close();
  w.startHub = () => {
    w.hub = mkHub();
  };
  w.restartHub = async () => {
    await w.hub.close();
    w.hub = mkHub();
  };
  w.restartHubWith = async (more) => {
    await w.hub.close();
    w.hub = mkHub(more);
  };
  w.close = async () => {
    // fetch (undici) may hold an extra connection that never sent a request; server.close()
    // waits for it, so close every connection once the routes have ended their streams.
    const closing = app.close();
    app.server.closeAllConnections();
    await closing;
    await w.hub.close();
    await t.cleanup();
  };
  return w;
}

export interface Hook {
  url: string;
  /** Every request received: raw body, headers, the status answered. */
  calls: { body: Buffer; headers: IncomingMessage['headers']; status: number; at: number }[];
  close(): Promise<void>;
}

/** A local webhook endpoint; `answer(n)` gives the status (and optional delay) of call n (1-based). */
export async function webhookServer(
  answer: (n: number) => number | { status: number; delayMs: number },
): Promise<Hook> {
  const calls: Hook['calls'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = answer(calls.length + 1);
      const { status, delayMs } = typeof a === 'number' ? { status: a, delayMs: 0 } : a;
      calls.push({ body: Buffer.concat(chunks), headers: req.headers, status, at: Date.now() });
      setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Polls `cond` every 10 ms until true or `ms` elapsed. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
