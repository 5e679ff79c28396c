/**
 * JSON schemas of the HTTP contract (DESIGN.md). Routes validate requests with
 * them and `/openapi.json` is generated from them, so the document cannot drift
 * from what the server accepts. A request schema is never stricter than the
 * library's own check of the same input, and says with `x-error-code` which
 * library code a failure gets (request-validation.ts).
 */

import { MAX_EVENT_TYPE_LENGTH } from '../core/proposed-event.js';
import { ERROR_CODE } from './request-validation.js';

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      additionalProperties: true,
    },
  },
} as const;

export const eventSchema = {
  $id: 'Event',
  type: 'object',
  required: ['id', 'stream', 'type', 'revision', 'position', 'data', 'metadata', 'recordedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    stream: { type: 'string' },
    type: { type: 'string' },
    revision: { type: 'integer', minimum: 0 },
    position: { type: 'integer', minimum: 1 },
    data: {},
    metadata: { type: 'object', additionalProperties: true },
    recordedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const expectedRevision = {
  description: "'any' (default), 'no_stream', 'stream_exists' or the exact revision of the stream's last event; never a string of digits",
  anyOf: [{ type: 'string', enum: ['any', 'no_stream', 'stream_exists'] }, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }],
  [ERROR_CODE]: 'INVALID_EXPECTED_REVISION',
} as const;

// the properties in the order the library checks them, so a body wrong in both gets the library's code
export const appendBodySchema = {
  type: 'object',
  required: ['events'],
  properties: {
    expectedRevision,
    events: {
      type: 'array',
      minItems: 1,
      [ERROR_CODE]: 'INVALID_EVENT',
      items: {
        type: 'object',
        required: ['type', 'data'],
        properties: {
          id: { type: 'string', description: 'a UUID; a retry with the same ids and content returns the original result' },
          type: { type: 'string', minLength: 1, maxLength: MAX_EVENT_TYPE_LENGTH, description: 'no control characters or lone surrogates' },
          data: { description: 'any JSON value, objects and arrays nested at most 64 deep' },
          metadata: {
            type: ['object', 'null'],
            additionalProperties: true,
            description: 'correlationId and causationId are strings when present; keys hold no NUL or lone surrogates; nested at most 64 deep',
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

export const appendResultSchema = {
  type: 'object',
  required: ['stream', 'nextExpectedRevision', 'position', 'events'],
  properties: {
    stream: { type: 'string' },
    nextExpectedRevision: { type: 'integer' },
    position: { type: 'integer' },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'revision', 'position'],
        properties: { id: { type: 'string' }, revision: { type: 'integer' }, position: { type: 'integer' } },
      },
    },
  },
} as const;

export const pageSchema = (nextDescription: string) =>
  ({
    type: 'object',
    required: ['events', 'next'],
    properties: {
      events: { type: 'array', items: { $ref: 'Event#' } },
      next: { type: ['integer', 'null'], description: nextDescription },
    },
  }) as const;

export const streamParams = {
  type: 'object',
  required: ['stream'],
  // the store's own rules (INVALID_STREAM_NAME) decide the rest, so HTTP and the library agree
  properties: {
    stream: {
      type: 'string',
      minLength: 1,
      description: 'category-id, at most 256 characters, no control or invisible format characters, no lone surrogates, not starting with -',
    },
  },
} as const;

/** Repeatable filters: `?category=a&category=b` or `?category=a,b`. */
export const filterQuery = {
  category: { type: 'array', items: { type: 'string' }, description: 'only events of these categories' },
  type: { type: 'array', items: { type: 'string' }, description: 'only events of these types' },
  prefix: { type: 'string', description: 'only streams whose name starts with this' },
} as const;

/** `EventSource` cannot send an Authorization header: the server-sent-events routes also take the token here (never logged). */
export const accessTokenQuery = { type: 'string', description: 'the bearer token, for clients that cannot send headers (EventSource); never logged' } as const;

export const errorResponses = {
  '4xx': { $ref: 'Error#' },
  '5xx': { $ref: 'Error#' },
} as const;
