import type { FastifyRequest } from 'fastify';
import { assertStreamName } from '../core/stream-name.js';

/**
 * A `preValidation` hook: a route's `{stream}` path parameter is checked by
 * the store's own naming rule before its query or body, as the library checks
 * the name before anything else, so a request wrong in both gets the library's
 * `INVALID_STREAM_NAME`.
 */
export async function checkStreamParam(request: FastifyRequest): Promise<void> {
  const { stream } = (request.params ?? {}) as { stream?: unknown };
  if (stream !== undefined) assertStreamName(stream);
}
