import type { FastifyRequest } from 'fastify';
import { TributaryError, type ErrorCode } from '../core/errors.js';

export type FailureLogLevel = 'error' | 'warn' | 'info' | 'debug';

// answers a healthy server gives: a projection still behind, a subscriber cut off for reading too slowly;
// a refusal under overload at debug, since a log line per refused request would add to the load it sheds
const ANSWERS: Partial<Record<ErrorCode, FailureLogLevel>> = { PROJECTION_NOT_CAUGHT_UP: 'info', SUBSCRIBER_TOO_SLOW: 'info', OVERLOADED: 'debug' };

/**
 * The level a failed request is logged at, or undefined for none. Error only
 * for what nobody expected (INTERNAL_ERROR, an uncoded throw); another coded
 * 5xx, such as the store busy or unavailable, at warn; a client that went away
 * mid-request (a dropped long poll) at debug, since that is normal; a 4xx is
 * the client's business and its answer says all.
 */
export function failureLogLevel(error: unknown, status: number, request: FastifyRequest): FailureLogLevel | undefined {
  if (clientWentAway(request)) return 'debug';
  if (status < 500) return undefined;
  if (!(error instanceof TributaryError) || error.code === 'INTERNAL_ERROR') return 'error';
  return ANSWERS[error.code] ?? 'warn';
}

/** The client closed its connection before the answer: nobody will read it. */
export function clientWentAway(request: FastifyRequest): boolean {
  return request.raw.socket?.destroyed === true;
}
