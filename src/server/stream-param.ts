import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { assertStreamName } from '../core/stream-name.js';

/**
 * A `preValidation` hook: a route's `{stream}` path parameter is checked by
 * the store's own naming rule before its query or body, as the library checks
 * the name before anything else, so a request wrong in both gets the library's
 * `INVALID_STREAM_NAME`. A callback hook: it runs on every request, and a promise per hook is measurable.
 */
export function checkStreamParam(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const { stream } = (request.params ?? {}) as { stream?: unknown };
  try {
    if (stream !== undefined) assertStreamName(stream);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}
