import type { FastifyError } from 'fastify';
import { TributaryError, type ErrorCode } from '../core/errors.js';

/**
 * The one table from error codes to HTTP statuses. Every code has a status,
 * so the compiler refuses a new code until it is given one here.
 */
export const HTTP_STATUS = {
  WRONG_EXPECTED_REVISION: 409,
  STREAM_NOT_FOUND: 404,
  STREAM_DELETED: 410,
  EVENT_ID_CONFLICT: 409,
  INVALID_STREAM_NAME: 400,
  INVALID_EVENT: 400,
  INVALID_EXPECTED_REVISION: 400,
  INVALID_STREAM_METADATA: 400,
  INVALID_APPENDS: 400,
  INVALID_TAG: 400,
  INVALID_QUERY: 400,
  // another writer got there first, as WRONG_EXPECTED_REVISION: read again, decide again
  APPEND_CONDITION_FAILED: 409,
  INVALID_ARGUMENT: 400,
  INVALID_NDJSON: 400,
  COMMAND_REJECTED: 422,
  UNSUPPORTED_DATABASE: 500,
  STORE_CLOSED: 503,
  STORE_BUSY: 503,
  STORE_UNAVAILABLE: 503,
  // a library caller's mistake in its own code: no request reaches it
  TRANSACTION_REENTRY: 500,
  CONSUMER_NOT_FOUND: 404,
  CONSUMER_CONFLICT: 409,
  PROJECTION_NOT_FOUND: 404,
  PROJECTION_CONFLICT: 409,
  PROJECTION_UNSUPPORTED: 501,
  INVALID_PROJECTION: 400,
  PROJECTION_NOT_CAUGHT_UP: 504,
  PROJECTION_BUSY: 409,
  LAKE_QUERY_FAILED: 400,
  LAKE_QUERY_REFUSED: 400,
  // the query engine behind the server did not finish in time, as PROJECTION_NOT_CAUGHT_UP; 408 would blame the client's upload
  LAKE_QUERY_TIMEOUT: 504,
  // the same query fails the same way until it is narrowed or the limit raised: the request, not the server, has to change
  LAKE_QUERY_OUT_OF_MEMORY: 422,
  LAKE_BUSY: 503,
  // the engine behind the server went away under the query, not the request: a retry runs in a new worker
  LAKE_WORKER_LOST: 503,
  DOCUMENT_NOT_FOUND: 404,
  // a writer pointed at a replica: the request was well formed, the store takes no writes
  MIRROR_READ_ONLY: 409,
  MIRROR_TARGET_REFUSED: 409,
  MIRROR_DIVERGED: 409,
  NOT_A_MIRROR: 409,
  BACKUP_CORRUPT: 400,
  // only the store writes its own streams, whatever the token may do elsewhere
  RESERVED_STREAM: 403,
  INVALID_SCHEMA: 400,
  SCHEMA_NOT_FOUND: 404,
  SCHEMA_INCOMPATIBLE: 409,
  SCHEMA_VALIDATION_FAILED: 422,
  INVALID_AS_OF: 400,
  INVALID_BRANCH_NAME: 400,
  BRANCH_NOT_FOUND: 404,
  BRANCH_EXISTS: 409,
  BRANCH_UNSUPPORTED: 405,
  INVALID_REPLAY_TARGET: 400,
  EVENT_NOT_FOUND: 404,
  INVALID_CORRECTION: 400,
  INVALID_PERSONAL_FIELDS: 400,
  // the gateway runs inside handlers, behind no route: a handler failure, as HANDLER_FAILED
  GATEWAY_NO_RECORDING: 500,
  GATEWAY_OUTSIDE_HANDLER: 500,
  GATEWAY_UNSUPPORTED: 501,
  // library-only: deciders do not run behind a route
  SNAPSHOT_UNSUPPORTED: 501,
  SNAPSHOT_NOT_JSON: 500,
  CHECKPOINT_LOST: 409,
  HANDLER_FAILED: 500,
  // a member behind the server failed the event, not the request; recorded with the parked event rather than answered
  DELIVERY_FAILED: 502,
  // the member's view of its events is behind the server's (timed out, moved): the request was well formed
  EVENT_NOT_IN_FLIGHT: 409,
  SCHEMA_TOO_NEW: 500,
  ADDRESS_IN_USE: 500,
  DATABASE_NOT_FOUND: 503,
  AUTHENTICATION_FAILED: 503,
  INVALID_REQUEST: 400,
  REQUEST_HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  ROUTE_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_EVENTS: 413,
  EVENT_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  SUBSCRIBER_TOO_SLOW: 503,
  OVERLOADED: 503,
  INTERNAL_ERROR: 500,
  SERVER_NOT_SECURED: 500,
} as const satisfies Record<ErrorCode, number>;

export interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

/** The status and `{"error": {...}}` body for anything a route threw. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  const coded = asTributaryError(error);
  return { status: HTTP_STATUS[coded.code], body: { error: coded.toJSON() } };
}

/** Fastify's own errors (validation, body size, parsing) as coded ones; anything else is a 500 without its internals. */
function asTributaryError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const fastify = error as Partial<FastifyError> & { validation?: unknown[]; validationContext?: string };
  if (fastify.validation !== undefined) {
    return new TributaryError('INVALID_REQUEST', fastify.message ?? 'the request is malformed', { in: fastify.validationContext });
  }
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new TributaryError('PAYLOAD_TOO_LARGE', 'the request body is larger than the server accepts');
  }
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return new TributaryError('INVALID_REQUEST', fastify.message ?? 'the request is malformed', { reason: fastify.code });
  }
  return new TributaryError('INTERNAL_ERROR', 'the server failed unexpectedly; its log has the details');
}
