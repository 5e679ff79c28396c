import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../core/errors.js';

/**
 * Lets browser applications on other origins call the API: preflights are
 * answered, and every answer (server-sent events included) carries the CORS
 * headers for an allowed origin. Off unless origins are given. Registered
 * before authentication, so a refusal is readable by the page too.
 */
export async function allowOrigins(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  for (const origin of origins) checkOrigin(origin);
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
    maxAge: 600,
    // a malformed preflight is answered like any other, not with a bare-text 400
    strictPreflight: false,
  });
}

/** `*`, or an origin as browsers send it: scheme, host and port, nothing else. */
export function checkOrigin(origin: string): void {
  if (origin === '*') return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
    throw invalidArgument('cors-origin', `${JSON.stringify(origin)} is not an origin such as https://app.example.com or http://localhost:5173`);
  }
}
