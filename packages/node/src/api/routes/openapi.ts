/**
 * The API's description, served by the node itself:
 *   GET /v1/openapi.json   the OpenAPI 3.1 document derived from the route table (client/src/api)
 *   GET /v1/docs           the same as a static HTML page: every route with its auth, parameters,
 *                          body and answers; no script, nothing loaded from elsewhere
 */
import { API, API_VERSION, ROUTES, openApiDocument } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance } from 'fastify';

type Json = Record<string, unknown>;

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const pre = (v: unknown): string => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

function operationHtml(method: string, path: string, op: Json): string {
  const params = (op.parameters ?? []) as { name: string; in: string; required: boolean; schema: unknown }[];
  const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content;
  const responses = op.responses as Record<string, { content?: Record<string, { schema: unknown }> }>;
  const rows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'required' : ''}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`,
    )
    .join('');
  const answers = Object.entries(responses)
    .filter(([status]) => status !== 'default')
    .map(([status, r]) => {
      const [type, c] = Object.entries(r.content ?? {})[0] ?? [];
      return `<p>${esc(status)}${type ? ` (${esc(type)})` : ''}</p>${c ? pre(c.schema) : ''}`;
    })
    .join('');
  return `<section id="${esc(String(op.operationId))}">
<h3><span class="m">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p>${esc(String(op.summary))}</p><p class="auth">${esc(String(op.description))}</p>
${rows ? `<table><tr><th>parameter</th><th>in</th><th></th><th>schema</th></tr>${rows}</table>` : ''}
${
  body
    ? Object.entries(body)
        .map(([type, c]) => `<h4>body (${esc(type)})</h4>${pre(c.schema)}`)
        .join('')
    : ''
}
<h4>answers</h4>${answers}<p class="auth">errors: <code>{ code, message }</code></p>
</section>`;
}

/** The docs page of an OpenAPI document. */
export function docsHtml(doc: Json): string {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const ops = Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );
  const tags = [...new Set(ops.map((o) => (o.op.tags as string[])[0]!))];
  const info = doc.info as { title: string; version: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.5rem;overflow:auto;font-size:13px}section{border-top:1px solid #ddd;margin-top:1rem}
.m{display:inline-block;min-width:4rem;font-weight:600}.auth{color:#555}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;font-size:13px}</style></head>
<body><h1>${esc(info.title)} <small>v${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>The machine-readable form: <a href="openapi.json"><code>GET /v1/openapi.json</code></a> (OpenAPI 3.1).</p>
<nav>${tags
    .map(
      (t) =>
        `<h4>${esc(t)}</h4><ul>${ops
          .filter((o) => (o.op.tags as string[])[0] === t)
          .map(
            (o) =>
              `<li><a href="#${esc(String(o.op.operationId))}">${o.method.toUpperCase()} ${esc(o.path)}</a></li>`,
          )
          .join('')}</ul>`,
    )
    .join('')}</nav>
${tags
  .map(
    (t) =>
      `<h2>${esc(t)}</h2>${ops
        .filter((o) => (o.op.tags as string[])[0] === t)
        .map((o) => operationHtml(o.method, o.path, o.op))
        .join('\n')}`,
  )
  .join('\n')}
</body></html>
`;
}

/** Registers the `/v1/openapi.json` and `/v1/docs` routes on `app` (buildServer does). */
export function openApiRoutes(app: FastifyInstance): void {
  const doc = openApiDocument(ROUTES, { version: API_VERSION });
  const html = docsHtml(doc);
  serve(app, API.meta.openapi, async () => doc);
  serve(app, API.meta.docs, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(html),
  );
}
