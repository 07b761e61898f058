/**
 * The portal (`packages/web`, built by Vite into `packages/web/dist`) served at `/`:
 *   GET /               the page (index.html)
 *   GET /assets/:file   its scripts, style sheets and WebAssembly, read once at start
 * Every answer carries a content security policy that lets the page load only what this node
 * serves and talk only to this node: no CDN, no inline script, no frames. WebAssembly (the
 * pairing and proxy re-encryption libraries) needs 'wasm-unsafe-eval', nothing more.
 * With no build present, `/` says how to make one. Both routes are in the API table
 * (client/src/api/routes/portal.ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';

/** The policy of every portal answer (CSP Level 3). */
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const HEADERS = {
  'content-security-policy': PORTAL_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Serves the built portal in `dir` (its `index.html` at `/`, its `assets/` by name). */
export function webRoutes(dir: string): ServerPlugin {
  return (app) => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      serve(app, API.portal.page, async (_req, reply) =>
        reply
          .headers(HEADERS)
          .type('text/plain; charset=utf-8')
          .send('The portal is not built here: run `npm run build` at the repository root, then restart.'),
      );
      serve(app, API.portal.asset, async () => {
        throw new HttpError('NOT_FOUND', 'the portal is not built');
      });
      return;
    }
    const page = readFileSync(index);
    // The build's files, read once: only these names are served, nothing else on disk.
    const assetsDir = join(dir, 'assets');
    const assets = new Map<string, Buffer>(
      existsSync(assetsDir) ? readdirSync(assetsDir).map((f) => [f, readFileSync(join(assetsDir, f))]) : [],
    );
    serve(app, API.portal.page, async (_req, reply) =>
      reply
        .headers({ ...HEADERS, 'cache-control': 'no-cache' })
        .type(TYPES['.html']!)
        .send(page),
    );
    serve(app, API.portal.asset, async (req, reply) => {
      const { file } = req.params as { file: string };
      const body = assets.get(file);
      if (!body) throw new HttpError('NOT_FOUND', 'no such file in the portal');
      return reply
        .headers({ ...HEADERS, 'cache-control': 'public, max-age=31536000, immutable' })
        .type(TYPES[extname(file)] ?? 'application/octet-stream')
        .send(body);
    });
  };
}
