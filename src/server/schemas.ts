/**
 * JSON schemas of the HTTP contract (DESIGN.md). Routes validate requests with
 * them and `/openapi.json` is generated from them, so the document cannot drift
 * from what the server accepts. A request schema is never stricter than the
 * library's own check of the same input, and says with `x-error-code` which
 * library code a failure gets (request-validation.ts).
 */

import { MAX_QUERY_ITEMS } from '../core/event-query.js';
import { MAX_EVENT_TYPE_LENGTH } from '../core/proposed-event.js';
import { MAX_APPEND_STREAMS } from '../core/stream-appends.js';
import { MAX_TAG_LENGTH, MAX_TAGS_PER_EVENT } from '../core/tags.js';
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
  required: ['id', 'stream', 'type', 'revision', 'position', 'data', 'metadata', 'tags', 'recordedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    stream: { type: 'string' },
    type: { type: 'string' },
    revision: { type: 'integer', minimum: 0 },
    position: { type: 'integer', minimum: 1 },
    data: {},
    metadata: { type: 'object', additionalProperties: true },
    tags: { type: 'array', items: { type: 'string' }, description: 'the tags the event was appended with; empty when none' },
    recordedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const expectedRevision = {
  description: "'any' (default), 'no_stream', 'stream_exists' or the exact revision of the stream's last event; never a string of digits",
  anyOf: [{ type: 'string', enum: ['any', 'no_stream', 'stream_exists'] }, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }],
  [ERROR_CODE]: 'INVALID_EXPECTED_REVISION',
} as const;

const tags = {
  type: 'array',
  items: { type: 'string' },
  description: `at most ${MAX_TAGS_PER_EVENT} distinct tags, each 1-${MAX_TAG_LENGTH} characters without control or invisible format characters (INVALID_TAG)`,
} as const;

const events = {
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
      tags,
    },
    additionalProperties: false,
  },
} as const;

/** A query: items OR'ed; within an item, types OR'ed and tags AND'ed. */
const query = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_QUERY_ITEMS,
  description: "items OR'ed; an event matches an item when its type is one of `types` (any when absent) and it carries every one of `tags`",
  [ERROR_CODE]: 'INVALID_QUERY',
  items: {
    type: 'object',
    properties: { types: { type: 'array', items: { type: 'string', minLength: 1 } }, tags },
    additionalProperties: false,
  },
} as const;

const categories = { type: 'array', items: { type: 'string' } } as const;

const condition = {
  type: 'object',
  required: ['failIfEventsMatch'],
  description:
    "append only if no event matching failIfEventsMatch was appended after `after` (default 0: ever); else 409 APPEND_CONDITION_FAILED with {after, positions}. Only events of `categories` count, and never more than the token may read: a narrow token's condition is narrowed to its categories",
  [ERROR_CODE]: 'INVALID_QUERY',
  properties: {
    failIfEventsMatch: query,
    // null is the library's "no position given", as absent
    after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    categories: { ...categories, description: 'only events of these categories count (default: all the token may read)' },
  },
  additionalProperties: false,
} as const;

// the properties in the order the library checks them, so a body wrong in both gets the library's code
export const appendBodySchema = {
  type: 'object',
  required: ['events'],
  properties: { expectedRevision, events, condition },
  additionalProperties: false,
} as const;

/** `POST /streams`: several streams at once, all or nothing. */
export const appendManyBodySchema = {
  type: 'object',
  required: ['appends'],
  properties: {
    appends: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_APPEND_STREAMS,
      description: 'each stream once; at most 1,000 events in all',
      [ERROR_CODE]: 'INVALID_APPENDS',
      items: {
        type: 'object',
        required: ['stream', 'events'],
        properties: { stream: streamName(), expectedRevision, events },
        additionalProperties: false,
      },
    },
    condition,
  },
  additionalProperties: false,
} as const;

/** `POST /all/query`: a page of the events matching a query. */
export const queryReadBodySchema = (pageSize: number) =>
  ({
    type: 'object',
    required: ['query'],
    properties: {
      after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'default 0: from the beginning', [ERROR_CODE]: 'INVALID_ARGUMENT' },
      limit: { type: 'integer', minimum: 1, maximum: pageSize, description: 'default 100', [ERROR_CODE]: 'INVALID_ARGUMENT' },
      categories: { ...categories, description: "only events of these categories; a narrow token reads only its own", [ERROR_CODE]: 'INVALID_ARGUMENT' },
      query,
      asOf: {
        anyOf: [{ type: 'string' }, { type: 'integer' }],
        description: 'read as the log stood at this point: a position from 1 up to the head, or an ISO 8601 time (the last position recorded at or before it)',
        [ERROR_CODE]: 'INVALID_AS_OF',
      },
    },
    additionalProperties: false,
  }) as const;

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

export const appendManyResultSchema = {
  type: 'object',
  required: ['position', 'streams'],
  properties: {
    position: { type: 'integer', description: 'the position of the last event written' },
    streams: { type: 'array', items: appendResultSchema, description: 'one result per stream, in the order given' },
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
  properties: { stream: streamName() },
} as const;

function streamName() {
  return {
    type: 'string',
    minLength: 1,
    description: 'category-id, at most 256 characters, no control or invisible format characters, no lone surrogates, not starting with -',
  } as const;
}

/** Repeatable filters: `?category=a&category=b` or `?category=a,b`. */
export const filterQuery = {
  category: { type: 'array', items: { type: 'string' }, description: 'only events of these categories' },
  type: { type: 'array', items: { type: 'string' }, description: 'only events of these types' },
  prefix: { type: 'string', description: 'only streams whose name starts with this' },
} as const;

/** Repeatable and AND'ed, never comma-split: a tag may hold a comma. */
export const tagQuery = {
  tag: { type: 'array', items: { type: 'string' }, description: 'only events carrying every one of these tags (repeat the parameter; not comma-split)' },
} as const;

/** `EventSource` cannot send an Authorization header: the server-sent-events routes also take the token here (never logged). */
export const accessTokenQuery = { type: 'string', description: 'the bearer token, for clients that cannot send headers (EventSource); never logged' } as const;

/** `?asOf=` of the reads: text, so digits are a position and anything else must be an ISO 8601 time. */
export const asOfQuery = {
  asOf: {
    type: 'string',
    description:
      'read as the log stood at this point: a position (digits, 1 up to the head) or an ISO 8601 time such as 2026-03-01T12:00:00Z, ' +
      'which stands for the last position recorded at or before it; INVALID_AS_OF otherwise',
  },
} as const;

/** `?raw=true`: events as stored, not upcast to their type's latest schema version. */
export const rawQuery = {
  raw: { type: 'boolean', description: "true: events as stored, without upcasting them to their type's latest schema version (default false)" },
} as const;

/** The query of a page of one stream, on the real log and on a branch. */
export function streamReadQuery(pageSize: number) {
  return {
    type: 'object',
    properties: {
      from: { type: 'integer', minimum: 0, description: 'first revision (forward default 0, backward default the last)' },
      limit: { type: 'integer', minimum: 1, maximum: pageSize, default: 100 },
      direction: { type: 'string', enum: ['forward', 'backward'], default: 'forward' },
      ...rawQuery,
      ...asOfQuery,
    },
    additionalProperties: false,
  } as const;
}

/** The query of a page of the log, on the real log and on a branch. */
export function logReadQuery(pageSize: number) {
  return {
    type: 'object',
    properties: {
      after: { type: 'integer', minimum: 0, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: pageSize, default: 100 },
      ...filterQuery,
      ...tagQuery,
      ...rawQuery,
      ...asOfQuery,
    },
    additionalProperties: false,
  } as const;
}

export const errorResponses = {
  '4xx': { $ref: 'Error#' },
  '5xx': { $ref: 'Error#' },
} as const;
