/**
 * Patient notification routes (issue 3 §7). Every route is signed by the patient
 * (`RequestAuthenticator`); another member gets 403.
 *   POST   /v1/patients/:patientId/events/tickets         a single-use ticket (30 s) for one stream
 *   GET    /v1/patients/:patientId/events                 server-sent events: signed request, or
 *          ?ticket= (EventSource cannot set headers); resume with Last-Event-ID header,
 *          ?lastEventId= or ?since=<height>. No credential goes in a URL: a ticket is random,
 *          opens one stream of one patient once, and expires in 30 s.
 *   POST   /v1/patients/:patientId/webhooks {url}         register a webhook → 201 WebhookInfo
 *   GET    /v1/patients/:patientId/webhooks               { webhooks: WebhookInfo[] }
 *   DELETE /v1/patients/:patientId/webhooks/:webhookId    204
 *   GET    /v1/patients/:patientId/webhooks/:webhookId/dead-letters
 *
 * The stream: `event: notification` messages with `id:` = notification id, `event: gap` when
 * the resume point is no longer kept, a comment line every `heartbeatMs` (15 s) so proxies keep
 * the connection, and the connection is dropped if the client reads slower than events come
 * (more than `maxBufferedBytes` queued) — it resumes with Last-Event-ID.
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PatientNotification } from '@medledger/client';
import type { ServerPlugin } from '../server.js';
import type { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { NotificationHub } from '../../notify/hub.js';

export interface NotificationRoutesOptions {
  heartbeatMs?: number;
  /** Concurrent streams per patient (default 8). */
  maxStreamsPerPatient?: number;
  maxBufferedBytes?: number;
}

const EVENT_ID = /^[0-9a-f]{64}:\d{1,6}$/;
const WEBHOOK_ID = /^[0-9a-f]{32}$/;

const TICKET = /^[0-9a-f]{64}$/;
const TICKET_TTL_MS = 30_000;

/** Authenticates the request and checks the signer is the patient of the path. */
function asPatient(auth: RequestAuthenticator, req: FastifyRequest): string {
  const { patientId } = req.params as { patientId: string };
  const member = auth.authenticate(req);
  if (member.id !== patientId)
    throw new HttpError(
      'FORBIDDEN',
      'only the patient may read their notifications or manage their webhooks',
    );
  return patientId;
}

function resumeFrom(req: FastifyRequest): { afterId?: string; since?: number } {
  const q = req.query as { since?: string; lastEventId?: string };
  const header = req.headers['last-event-id'];
  const afterId = (typeof header === 'string' && header !== '' ? header : undefined) ?? q.lastEventId;
  if (afterId !== undefined) {
    if (!EVENT_ID.test(afterId))
      throw new HttpError('MALFORMED_REQUEST', 'Last-Event-ID must be a notification id <txId>:<index>');
    return { afterId };
  }
  if (q.since !== undefined) {
    const since = Number(q.since);
    if (!Number.isSafeInteger(since) || since < 0)
      throw new HttpError('MALFORMED_REQUEST', 'since must be a non-negative block height');
    return { since };
  }
  return {};
}

function sse(n: PatientNotification): string {
  return `id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`;
}

/**
 * The notification routes as a server plugin.
 * @example buildServer(node, { plugins: [notificationRoutes(hub, new RequestAuthenticator(node))] })
 */
export function notificationRoutes(
  hub: NotificationHub,
  auth: RequestAuthenticator,
  o: NotificationRoutesOptions = {},
): ServerPlugin {
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  const maxStreams = o.maxStreamsPerPatient ?? 8;
  const maxBuffered = o.maxBufferedBytes ?? 1 << 20;
  const streams = new Map<string, number>();
  const open = new Set<() => void>();
  const tickets = new EventTickets(maxStreams);

  return (root: FastifyInstance) => {
    root.addHook('preClose', (done) => {
      for (const end of [...open]) end();
      done();
    });
    void root.register(async (app) => {
      serve(app, API.notifications.eventTicket, async (req, reply) => {
        const patient = asPatient(auth, req);
        return reply.status(201).send(tickets.issue(patient));
      });

      serve(app, API.notifications.events, async (req, reply) => {
        const q = req.query as { ticket?: string; auth?: string };
        if (q.auth !== undefined)
          throw new HttpError(
            'MALFORMED_REQUEST',
            'credentials in URLs are not accepted: sign the request (x-medledger-auth header) or use a ticket (POST .../events/tickets)',
          );
        const patient = q.ticket !== undefined ? tickets.redeem(req, q.ticket) : asPatient(auth, req);
        const from = resumeFrom(req);
        const count = streams.get(patient) ?? 0;
        if (count >= maxStreams)
          throw new HttpError('TOO_MANY_STREAMS', `at most ${maxStreams} event streams per patient`);
        // Open (replay + subscribe) first: it may throw. Live events arrive on a later turn
        // of the event loop, after the replay below is written.
        let ended = false;
        const timer: { heartbeat?: NodeJS.Timeout } = {};
        const res = reply.raw;
        const write = (s: string): void => {
          if (ended || res.destroyed) return;
          res.write(s);
          if (res.writableLength > maxBuffered) res.destroy(); // slow reader: let it resume
        };
        const end = (): void => {
          if (ended) return;
          ended = true;
          clearInterval(timer.heartbeat);
          unsubscribe();
          open.delete(end);
          const c = (streams.get(patient) ?? 1) - 1;
          if (c > 0) streams.set(patient, c);
          else streams.delete(patient);
          if (!res.destroyed) res.end();
        };
        const { replay, unsubscribe } = hub.open(patient, from, (n) => write(sse(n)), end);
        streams.set(patient, count + 1);
        open.add(end);
        reply.hijack();
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        write(`retry: 2000\n: medledger notifications\n\n`);
        if (replay.gap !== undefined)
          write(`event: gap\ndata: ${JSON.stringify({ reason: replay.gap })}\n\n`);
        for (const n of replay.notifications) write(sse(n));
        timer.heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
        timer.heartbeat.unref();
        res.on('close', end);
      });

      serve(app, API.notifications.addWebhook, async (req, reply) => {
        const patient = asPatient(auth, req);
        const body = req.body as { url?: unknown } | undefined;
        if (!body || typeof body !== 'object' || Object.keys(body).some((k) => k !== 'url'))
          throw new HttpError('MALFORMED_REQUEST', 'body must be { "url": "http(s)://..." }');
        try {
          return reply.status(201).send(hub.addWebhook(patient, body.url as string));
        } catch (e) {
          if (e instanceof RangeError) throw new HttpError('MALFORMED_REQUEST', e.message);
          if ((e as { code?: string }).code === 'TOO_MANY_WEBHOOKS')
            throw new HttpError('TOO_MANY_WEBHOOKS', (e as Error).message);
          throw e;
        }
      });

      serve(app, API.notifications.webhooks, async (req) => {
        return { webhooks: hub.listWebhooks(asPatient(auth, req)) };
      });

      serve(app, API.notifications.removeWebhook, async (req, reply) => {
        const patient = asPatient(auth, req);
        const { webhookId } = req.params;
        if (!WEBHOOK_ID.test(webhookId) || !hub.removeWebhook(patient, webhookId))
          throw new HttpError('NOT_FOUND', 'no such webhook');
        return reply.status(204).send();
      });

      serve(app, API.notifications.deadLetters, async (req) => {
        const patient = asPatient(auth, req);
        const { webhookId } = req.params;
        const d = WEBHOOK_ID.test(webhookId) ? hub.deadLetters(patient, webhookId) : undefined;
        if (!d) throw new HttpError('NOT_FOUND', 'no such webhook');
        return { deadLetters: d };
      });
    });
  };
}

/**
 * Single-use tickets for event streams: 32 random bytes, valid 30 s, for one patient's
 * stream, burnt on first use. Kept in memory: a ticket lost in a restart is asked for again.
 */
class EventTickets {
  readonly #tickets = new Map<string, { patient: string; expires: number }>();
  readonly #maxPerPatient: number;

  constructor(maxPerPatient: number) {
    this.#maxPerPatient = maxPerPatient;
  }

  issue(patient: string): { ticket: string; expiresAt: number } {
    const now = Date.now();
    let mine = 0;
    for (const [k, t] of this.#tickets) {
      if (t.expires <= now) this.#tickets.delete(k);
      else if (t.patient === patient) mine++;
    }
    if (mine >= this.#maxPerPatient)
      throw new HttpError('TOO_MANY_STREAMS', `at most ${this.#maxPerPatient} unused tickets per patient`);
    const ticket = randomBytes(32).toString('hex');
    const expiresAt = now + TICKET_TTL_MS;
    this.#tickets.set(ticket, { patient, expires: expiresAt });
    return { ticket, expiresAt };
  }

  /** The patient of a valid, unused ticket for this path's patient; burns it. */
  redeem(req: FastifyRequest, ticket: string): string {
    const { patientId } = req.params as { patientId: string };
    const t = TICKET.test(ticket) ? this.#tickets.get(ticket) : undefined;
    if (t) this.#tickets.delete(ticket);
    if (!t || t.expires <= Date.now())
      throw new HttpError('AUTH_TICKET', 'unknown, used or expired event-stream ticket');
    if (t.patient !== patientId)
      throw new HttpError('FORBIDDEN', 'this ticket is for another patient’s stream');
    return t.patient;
  }
}
