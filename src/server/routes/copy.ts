import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { LogCopySource, LogCopyTarget } from '../../store/log-copy.js';
import { MAX_PAGE_SIZE } from '../../store/options.js';
import type { Access } from '../access.js';
import { SCOPES } from '../route-scopes.js';
import { copiedStreamSchema, copiedTableSchema, copyHeadSchema, copyStateSchema, eventRowSchema } from '../copy-schemas.js';
import { errorResponses } from '../schemas.js';

/** Rows a copy page holds when the request names no limit. */
const DEFAULT_COPY_PAGE = 1_000;

const position = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const limit = { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_COPY_PAGE } as const;
// a parameter a route does not take is refused, as on the routes that take some
const noQuery = { type: 'object', properties: {}, additionalProperties: false } as const;

/**
 * `/copy/…`: the served store as the source of an exact copy, so a mirror can
 * follow it through this server (`tributary mirror --from http://…`). The log
 * needs `read:*`; the other tables (token hashes, every team's consumers) and
 * the store's own copy state need `admin`.
 */
export function copyRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  app.get(
    '/copy/head',
    {
      schema: {
        summary: "The store's id and where its log stands: what a copy of it checks first and copies up to",
        tags: ['copy'],
        'x-scope': SCOPES.readEverything,
        querystring: noQuery,
        response: { 200: copyHeadSchema, ...errorResponses },
      },
    },
    async (request) => {
      access.checkReadAll(request);
      const source = copySourceOf(store);
      const [storeId, head] = await Promise.all([source.storeId(), source.copyHead()]);
      return { storeId, ...head };
    },
  );

  app.get<{ Querystring: { after: number; until?: number; limit: number } }>(
    '/copy/events',
    {
      schema: {
        summary: 'Events at positions in (after, until] as their stored rows, in position order: data, metadata and tags as their stored JSON text',
        tags: ['copy'],
        'x-scope': SCOPES.readEverything,
        querystring: {
          type: 'object',
          properties: {
            after: { ...position, default: 0 },
            until: { ...position, description: "default the store's head" },
            limit,
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: eventRowSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      access.checkReadAll(request);
      const source = copySourceOf(store);
      const { after, limit: most } = request.query;
      const until = request.query.until ?? (await source.copyHead()).head;
      // the rows are text and numbers already: one stringify, measured faster than the response schema's serializer or a row at a time
      return reply.type('application/json').send(JSON.stringify({ events: await source.readCopyEvents(after, until, most) }));
    },
  );

  app.get<{ Querystring: { afterChange: number; limit: number } }>(
    '/copy/streams',
    {
      schema: {
        summary: 'Stream rows whose last change (metadata, delete, tombstone, scavenge) is after afterChange, in change order',
        tags: ['copy'],
        'x-scope': SCOPES.readEverything,
        querystring: {
          type: 'object',
          properties: { afterChange: { ...position, default: 0 }, limit },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', required: ['streams'], properties: { streams: { type: 'array', items: copiedStreamSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      access.checkReadAll(request);
      return { streams: await copySourceOf(store).readStreamChanges(request.query.afterChange, request.query.limit) };
    },
  );

  app.get(
    '/copy/tables',
    {
      schema: {
        summary: 'The rows of the tables a move brings across besides the log: consumers, parked events, tokens (hashed), lake projections, snapshots',
        tags: ['copy'],
        'x-scope': SCOPES.admin,
        querystring: noQuery,
        response: {
          200: { type: 'object', required: ['tables'], properties: { tables: { type: 'array', items: copiedTableSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      access.checkAdmin(request);
      return { tables: await copySourceOf(store).readTables() };
    },
  );

  app.get(
    '/copy/state',
    {
      schema: {
        summary: 'What the served store records of the copy it is (a mirror, a promoted mirror, a restore); 409 NOT_A_MIRROR when it is none',
        tags: ['copy'],
        'x-scope': SCOPES.admin,
        querystring: noQuery,
        response: { 200: copyStateSchema, ...errorResponses },
      },
    },
    async (request) => {
      access.checkAdmin(request);
      const state = await copyTargetOf(store).copyState();
      if (state === undefined) throw new TributaryError('NOT_A_MIRROR', `the store at ${store.location} is not a copy of another store`, { location: store.location });
      return state;
    },
  );
}

function copySourceOf(store: EventStore): LogCopySource {
  if (store.copySource === undefined) throw cannotCopy(store, 'cannot be copied from');
  return store.copySource;
}

function copyTargetOf(store: EventStore): LogCopyTarget {
  if (store.copyTarget === undefined) throw cannotCopy(store, 'keeps no copy state');
  return store.copyTarget;
}

// a store behind the server that offers no copy (a custom one): the request is one this server cannot serve
function cannotCopy(store: EventStore, what: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `the store this server serves (${store.location}) ${what}`, { reason: 'copy-unsupported', location: store.location });
}
