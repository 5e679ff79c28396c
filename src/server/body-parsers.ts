import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TributaryError } from '../core/errors.js';

// fatal: a byte sequence that is not UTF-8 is refused, never replaced with U+FFFD; a leading byte order mark is dropped
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Body parsers that read bodies as UTF-8 or refuse them with `400
 * INVALID_REQUEST`: JSON (RFC 8259 is UTF-8 only) and plain text. JSON is
 * parsed with `JSON.parse`, so a `"__proto__"` or `"constructor"` key is an own
 * property like any other — event data is stored as text and never merged into
 * objects. Fastify's body limit still applies (`413 PAYLOAD_TOO_LARGE`).
 */
export function strictBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request: FastifyRequest, body: Buffer, done) => {
    try {
      const text = decode(body);
      if (text.trim() === '') throw invalidBody('is empty: send a JSON document, or no content-type');
      done(null, parseJson(text));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_request: FastifyRequest, body: Buffer, done) => {
    try {
      done(null, decode(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

function decode(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw invalidBody('is not valid UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidBody(`is not JSON: ${(error as Error).message}`);
  }
}

function invalidBody(reason: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `the request body ${reason}`, { in: 'body', reason });
}
