import type { FastifyInstance } from 'fastify';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import type { EventStore, StreamMetadata } from '../../store/event-store.js';
import type { Access } from '../access.js';
import { SCOPES } from '../route-scopes.js';
import { answerHead, headQuery, headResult } from './head-answer.js';
import { ERROR_CODE } from '../request-validation.js';
import { errorResponses, streamParams } from '../schemas.js';

export const streamInfoSchema = {
  type: 'object',
  required: ['stream', 'exists', 'lastRevision', 'lastPosition', 'deleted'],
  properties: {
    stream: { type: 'string' },
    exists: { type: 'boolean' },
    lastRevision: { type: 'integer' },
    lastPosition: { type: 'integer' },
    deleted: { anyOf: [{ type: 'boolean', enum: [false] }, { type: 'string', enum: ['soft', 'tombstone'] }] },
  },
} as const;

// exactly what the library's checkStreamMetadata accepts (null leaves a setting unset), and its code when not
const metadataSchema = {
  type: 'object',
  properties: {
    maxCount: { type: ['integer', 'null'], minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    maxAge: { type: ['integer', 'null'], minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'seconds' },
    truncateBefore: { type: ['integer', 'null'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    custom: { type: ['object', 'null'], additionalProperties: true, description: 'any JSON object, nested at most 64 deep' },
  },
  additionalProperties: false,
  [ERROR_CODE]: 'INVALID_STREAM_METADATA',
} as const;

const expectedRevisionQuery = {
  expectedRevision: { type: 'string', description: "any (default), no_stream, stream_exists or a revision" },
} as const;

/** Stream info, listings, metadata, deletion, scavenging and waiting for the head: the rest of the store contract. */
export function storeAdminRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  app.get<{ Params: { stream: string } }>(
    '/streams/:stream/info',
    { schema: { summary: 'Where a stream stands (never 404)', tags: ['streams'], 'x-scope': SCOPES.readStream, params: streamParams, response: { 200: streamInfoSchema, ...errorResponses } } },
    async (request) => {
      access.check(request, 'read', request.params.stream);
      return store.streamInfo(request.params.stream);
    },
  );

  app.get<{ Params: { stream: string } }>(
    '/streams/:stream/metadata',
    { schema: { summary: "A stream's metadata ({} when none was set)", tags: ['streams'], 'x-scope': SCOPES.readStream, params: streamParams, response: { 200: metadataSchema, ...errorResponses } } },
    async (request) => {
      access.check(request, 'read', request.params.stream);
      return store.getStreamMetadata(request.params.stream);
    },
  );

  app.put<{ Params: { stream: string }; Body: StreamMetadata }>(
    '/streams/:stream/metadata',
    {
      schema: {
        summary: "Replace a stream's metadata: retention (maxCount, maxAge, truncateBefore) and custom data",
        tags: ['streams'],
        'x-scope': SCOPES.writeStream,
        params: streamParams,
        body: metadataSchema,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      access.check(request, 'write', request.params.stream);
      await store.setStreamMetadata(request.params.stream, request.body);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { stream: string }; Querystring: { expectedRevision?: string; hard?: boolean } }>(
    '/streams/:stream',
    {
      schema: {
        summary: 'Delete a stream: soft (it can be written again, revisions continue) or, with hard=true, tombstone it for good',
        tags: ['streams'],
        'x-scope': SCOPES.writeStream,
        params: streamParams,
        querystring: { type: 'object', properties: { ...expectedRevisionQuery, hard: { type: 'boolean', default: false } }, additionalProperties: false },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { stream } = request.params;
      access.check(request, 'write', stream);
      const expectedRevision = expectedRevisionOf(request.query.expectedRevision);
      if (request.query.hard === true) await store.tombstoneStream(stream, { expectedRevision });
      else await store.deleteStream(stream, { expectedRevision });
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { prefix?: string; category?: string; after?: string; limit?: number } }>(
    '/streams',
    {
      schema: {
        summary: 'Streams in name order, a page at a time',
        tags: ['streams'],
        'x-scope': SCOPES.listStreams,
        querystring: {
          type: 'object',
          properties: {
            prefix: { type: 'string' },
            category: { type: 'string' },
            after: { type: 'string', description: 'the next of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['streams', 'next'],
            properties: { streams: { type: 'array', items: { type: 'object', additionalProperties: true } }, next: { type: ['string', 'null'] } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (request.query.category === undefined) access.checkReadAll(request);
      else access.check(request, 'read', `${request.query.category}-`);
      return store.listStreams(request.query);
    },
  );

  app.get(
    '/categories',
    {
      schema: {
        summary: 'Every category with how many streams it holds',
        tags: ['streams'],
        'x-scope': SCOPES.readEverything,
        response: { 200: { type: 'array', items: { type: 'object', properties: { category: { type: 'string' }, streams: { type: 'integer' } } } }, ...errorResponses },
      },
    },
    async (request) => {
      access.checkReadAll(request);
      return store.listCategories();
    },
  );

  app.get<{ Querystring: { after?: number; timeoutMs?: number } }>(
    '/head',
    {
      schema: {
        summary: 'The head position; with after, waits (long poll) until the head passes it or timeoutMs runs out',
        tags: ['log'],
        'x-scope': SCOPES.token,
        querystring: headQuery,
        response: { 200: headResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      return answerHead(store, request.query, reply);
    },
  );

  app.get<{ Querystring: { at: string } }>(
    '/positions',
    {
      schema: {
        summary: 'The last position recorded at or before a time (0 when none is that old): where a read as of that time stops',
        tags: ['log'],
        // a position tells only how long the log was then, no more than the head does
        'x-scope': SCOPES.token,
        querystring: {
          type: 'object',
          required: ['at'],
          properties: { at: { type: 'string', description: 'an ISO 8601 time such as 2026-03-01T12:00:00Z; INVALID_AS_OF otherwise' } },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', required: ['position'], properties: { position: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => ({ position: await store.positionAt(request.query.at) }),
  );

  app.post(
    '/admin/scavenge',
    { schema: { summary: 'Remove the events that retention and deletion hide', tags: ['operations'], 'x-scope': SCOPES.admin, response: { 200: { type: 'object', properties: { removed: { type: 'integer' } } }, ...errorResponses } } },
    async (request) => {
      access.checkAdmin(request);
      return store.scavenge();
    },
  );
}

function expectedRevisionOf(text: string | undefined): ExpectedRevision | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : (text as ExpectedRevision);
}
