/**
 * The portal (`packages/web`, built by Vite into `packages/web/dist`) served at `/`:
 *   GET /            the page (index.html)
 *   GET /assets/*    its scripts, styles and WebAssembly, each file registered by name at start
 * Every answer carries a content security policy that lets the page load only what this node
 * serves and talk only to this node: no CDN, no inline script, no frames. WebAssembly (the
 * pairing and proxy re-encryption libraries) needs 'wasm-unsafe-eval', nothing more.
 * With no build present, `/` says how to make one.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
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
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Serves the built portal in `dir` (its `index.html` at `/`). */
export function webRoutes(dir: string): ServerPlugin {
  return (app) => {
    const headers = {
      'content-security-policy': PORTAL_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (!existsSync(join(dir, 'index.html'))) {
      app.get('/', async (_req, reply) =>
        reply
          .headers(headers)
          .type('text/plain; charset=utf-8')
          .send('The portal is not built here: run `npm run build` at the repository root, then restart.'),
      );
      return;
    }
    // Each file is read once and registered under its own path: nothing outside `dir` can be
    // asked for, and a new build is served after a restart.
    for (const file of filesUnder(dir)) {
      const rel = relative(dir, file).split(sep).join('/');
      const body = readFileSync(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      const route = rel === 'index.html' ? '/' : `/${rel}`;
      app.get(route, async (_req, reply) =>
        reply
          .headers({ ...headers, 'cache-control': cache })
          .type(type)
          .send(body),
      );
    }
  };
}
