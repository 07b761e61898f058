/** The portal (packages/web) the node serves (node/src/api/routes/web.ts). */
import { route } from '../route.js';
import { Params, Type } from '../schema.js';

export const portal = {
  page: route({
    method: 'GET',
    path: '/',
    auth: 'public',
    summary: 'the portal’s page (its build in packages/web/dist), served with a content security policy',
    produces: 'text/html',
    response: { 200: Type.String({ description: 'text/html' }) },
  }),
  asset: route({
    method: 'GET',
    path: '/assets/:file',
    auth: 'public',
    summary: 'a script, style sheet or WebAssembly module of the portal’s build',
    produces: 'application/octet-stream',
    params: Params({ file: Type.String({ pattern: '^[A-Za-z0-9._-]{1,200}$' }) }),
    response: { 200: Type.String({ description: 'the file' }) },
  }),
} as const;
