/**
 * The OpenAPI document a full node serves (`GET /v1/openapi.json`, derived from the route
 * table in client/src/api) is valid OpenAPI 3.1 by a parser nobody here wrote, and covers
 * every route the server registers (asked of fastify): request schemas for its path
 * parameters and body, response schemas for its answers. `GET /v1/docs` renders it without
 * loading anything from elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, compileErrors } from '@readme/openapi-parser';
import { findRoute, openApiPath } from '@medledger/client';
import { routesOf } from '../src/index.js';
import { startFullNode } from './helpers/fullNode.js';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: { name: string; in: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

test('api: /v1/openapi.json is valid OpenAPI 3.1 and every registered route has its request and response schemas', async () => {
  const f = await startFullNode([{ label: 'alice', org: 'hospitalA', role: 'doctor' }]);
  try {
    const res = await fetch(`${f.running.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Json;
    assert.equal(doc.openapi, '3.1.0');
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));

    const paths = doc.paths as Record<string, Record<string, Operation>>;
    const registered = routesOf(f.running.app);
    assert.ok(registered.length >= 78, `a full node registers every route (${registered.length})`);
    const missing: string[] = [];
    for (const { method, url } of registered) {
      const where = `${method} ${url}`;
      const op = paths[openApiPath(url)]?.[method.toLowerCase()];
      if (!op) {
        missing.push(`${where}: no operation`);
        continue;
      }
      for (const name of [...url.matchAll(/:([A-Za-z0-9_$]+)/g)].map((m) => m[1]!))
        if (!op.parameters?.some((p) => p.in === 'path' && p.name === name && p.schema))
          missing.push(`${where}: no schema for path parameter ${name}`);
      const route = findRoute(method, url)!.route;
      if (route.body && !Object.values(op.requestBody?.content ?? {}).some((c) => c.schema))
        missing.push(`${where}: no request body schema`);
      if ((method === 'POST' || method === 'PUT') && !route.body && route.path !== url)
        missing.push(`${where}: a write without a body in the table`);
      const ok = Object.entries(op.responses).filter(([s]) => /^2\d\d$/.test(s));
      if (ok.length === 0) missing.push(`${where}: no success answer`);
      for (const [status, r] of ok)
        if (status !== '204' && !Object.values(r.content ?? {}).some((c) => c.schema))
          missing.push(`${where}: no schema for answer ${status}`);
      if (!op.responses.default) missing.push(`${where}: no error answer`);
    }
    assert.deepEqual(missing, []);
    const documented = Object.values(paths).reduce((n, item) => n + Object.keys(item).length, 0);
    assert.equal(documented, registered.length, 'the document has no route the node does not serve');
  } finally {
    await f.cleanup();
  }
});

test('api: /v1/docs is a static page of every route that loads nothing from elsewhere', async () => {
  const f = await startFullNode([{ label: 'alice', org: 'hospitalA', role: 'doctor' }]);
  try {
    const res = await fetch(`${f.running.url}/v1/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await res.text();
    assert.doesNotMatch(
      html,
      /<script|<link|src=|href="https?:/i,
      'no script, stylesheet or image from anywhere',
    );
    for (const { method, url } of routesOf(f.running.app))
      assert.ok(
        html.includes(`${method} ${openApiPath(url).replace(/&/g, '&amp;')}`),
        `${method} ${url} listed`,
      );
  } finally {
    await f.cleanup();
  }
});
