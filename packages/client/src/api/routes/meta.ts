/** The API's own description (node/src/api/routes/openapi.ts). */
import { route } from '../route.js';
import { Open, Type } from '../schema.js';

export const meta = {
  openapi: route({
    method: 'GET',
    path: '/v1/openapi.json',
    auth: 'public',
    summary: 'this API as an OpenAPI 3.1 document, derived from the route table',
    response: { 200: Open({ openapi: Type.String(), paths: Type.Record(Type.String(), Type.Unknown()) }) },
  }),
  docs: route({
    method: 'GET',
    path: '/v1/docs',
    auth: 'public',
    summary: 'this API as a readable page (static HTML, nothing loaded from elsewhere)',
    produces: 'text/html',
    response: { 200: Type.String({ description: 'text/html' }) },
  }),
} as const;
