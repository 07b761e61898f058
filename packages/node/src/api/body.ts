/**
 * Request bodies: how the API reads them and how large they may be.
 *
 * JSON bodies are read as bytes, kept as `rawBody` (a signed request covers the exact bytes)
 * and decoded as strict UTF-8: invalid UTF-8 is refused (400 INVALID_UTF8), never repaired
 * to U+FFFD — a repaired body would be another body than the one that was signed or sent.
 * Parsing is fastify's own (secure-json-parse: `__proto__` and `constructor.prototype` are
 * refused).
 *
 * Sizes: a body is read into memory before anything checks it, so every route has a limit
 * sized to what it takes; a route that does not say gets {@link BODY_LIMITS.default}.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_TX_BYTES } from '@medledger/core';
import { HttpError } from './errors.js';

/** Body limits in bytes. */
export const BODY_LIMITS = {
  /** Small requests: a PKCS#10 certificate request, a certificate (16 KiB). */
  small: 16 * 1024,
  /**
   * Routes that say nothing: at most one transaction and a little more (the domain routes
   * post a signed transaction, a presentation, a key or a small JSON request).
   */
  default: MAX_TX_BYTES + 64 * 1024,
  /** `POST /v1/txs`: one signed transaction (MAX_TX_BYTES canonical; room for whitespace). */
  tx: MAX_TX_BYTES + 16 * 1024,
  /** `POST /v1/txs/batch`: many transactions (at most 8 MB of them per request). */
  batch: 8 * 1024 * 1024,
  /** `POST /v1/spv/records`: a record sealed with its FHIR resource. */
  record: 4 * 1024 * 1024,
} as const;

/** A request with the exact bytes of its body (JSON bodies only). */
export type RequestWithRawBody = FastifyRequest & { rawBody?: Buffer };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Replaces fastify's JSON and text parsers on `app` with strict UTF-8 ones that keep `rawBody`. */
export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const decode = (req: FastifyRequest, body: Buffer): string => {
    (req as RequestWithRawBody).rawBody = body;
    try {
      return strictUtf8.decode(body);
    } catch {
      throw new HttpError('INVALID_UTF8', 'body is not valid UTF-8');
    }
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = decode(req, body as Buffer);
    } catch (e) {
      return done(e as Error, undefined);
    }
    if (text.length === 0) return done(null, undefined);
    parseJson(req, text, (err, value) =>
      err
        ? done(new HttpError('MALFORMED_REQUEST', `body is not valid JSON: ${err.message}`), undefined)
        : done(null, value),
    );
  });
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, decode(req, body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
