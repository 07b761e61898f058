/** A patient's notifications: event stream and webhooks (node/src/api/routes/notifications.ts). */
import { route } from '../route.js';
import { Obj, Open, Params, Text, Type } from '../schema.js';

const Patient = Params({ patientId: Text });
const Webhook = Params({ patientId: Text, webhookId: Text });
const WebhookInfo = Open({ id: Type.String(), url: Type.String() });

export const notifications = {
  eventTicket: route({
    method: 'POST',
    path: '/v1/patients/:patientId/events/tickets',
    auth: 'patient',
    summary: 'a single-use ticket (30 s) that opens one event stream (EventSource cannot sign)',
    params: Patient,
    response: { 201: Type.Object({ ticket: Type.String(), expiresAt: Type.Number() }) },
  }),
  events: route({
    method: 'GET',
    path: '/v1/patients/:patientId/events',
    auth: 'patient',
    ticket: true,
    summary:
      'server-sent events of the patient (signed request or ?ticket=); resume with Last-Event-ID, ?lastEventId= or ?since=<height>',
    params: Patient,
    query: Type.Object(
      { ticket: Type.Optional(Text), lastEventId: Type.Optional(Text), since: Type.Optional(Text) },
      { additionalProperties: true },
    ),
    produces: 'text/event-stream',
    response: { 200: Type.String({ description: 'text/event-stream: `event: notification` messages' }) },
  }),
  addWebhook: route({
    method: 'POST',
    path: '/v1/patients/:patientId/webhooks',
    auth: 'patient',
    summary: 'register a webhook (http(s) URL)',
    params: Patient,
    body: Type.Object({ url: Type.String() }, { additionalProperties: false }),
    signedBody: true,
    response: { 201: WebhookInfo },
  }),
  webhooks: route({
    method: 'GET',
    path: '/v1/patients/:patientId/webhooks',
    auth: 'patient',
    summary: "the patient's webhooks",
    params: Patient,
    response: { 200: Type.Object({ webhooks: Type.Array(WebhookInfo) }) },
  }),
  removeWebhook: route({
    method: 'DELETE',
    path: '/v1/patients/:patientId/webhooks/:webhookId',
    auth: 'patient',
    summary: 'remove a webhook',
    params: Webhook,
    response: { 204: Type.Null({ description: 'no content' }) },
  }),
  deadLetters: route({
    method: 'GET',
    path: '/v1/patients/:patientId/webhooks/:webhookId/dead-letters',
    auth: 'patient',
    summary: "a webhook's notifications that could not be delivered",
    params: Webhook,
    response: { 200: Type.Object({ deadLetters: Type.Array(Obj) }) },
  }),
} as const;
