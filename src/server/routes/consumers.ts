import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventStore } from '../../store/event-store.js';
import { parkedEvents, purgeParked, replayParked } from '../../subscriptions/parked.js';
import { consumerStatus } from '../../subscriptions/status.js';
import type { ConsumerAccess } from '../consumer-access.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

const consumerStatusSchema = {
  type: 'object',
  required: ['name', 'checkpoint', 'head', 'lagEvents', 'lagSeconds', 'state', 'parked', 'partitions', 'members'],
  properties: {
    name: { type: 'string' },
    filter: { type: 'object', additionalProperties: true },
    checkpoint: { type: 'integer' },
    head: { type: 'integer' },
    lagEvents: { type: 'integer' },
    lagSeconds: { type: 'number' },
    state: { type: 'string', enum: ['catching-up', 'live', 'stopped', 'faulted'] },
    parked: { type: 'integer' },
    fault: { type: ['string', 'null'] },
    partitions: { type: 'integer' },
    members: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          member: { type: 'string' },
          state: { type: 'string' },
          position: { type: 'integer' },
          partitions: { type: 'array', items: { type: 'integer' } },
        },
      },
    },
  },
} as const;

const parkedSchema = {
  type: 'object',
  required: ['position', 'eventId', 'stream', 'type', 'error', 'attempts', 'parkedAt', 'replay'],
  properties: {
    position: { type: 'integer' },
    eventId: { type: 'string' },
    stream: { type: 'string' },
    type: { type: 'string' },
    error: { type: 'string' },
    attempts: { type: 'integer' },
    parkedAt: { type: 'integer', description: 'milliseconds since the epoch' },
    replay: { type: 'boolean', description: 'true while a replay is pending' },
  },
} as const;

/** A preValidation hook: a POST without a body means "all of them". */
export const emptyBodyIsAll = async (request: FastifyRequest) => {
  request.body ??= {};
};

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
const positionsBody = {
  type: 'object',
  properties: { positions: { type: 'array', items: { type: 'integer', minimum: 1 }, description: 'the chosen parked events; all when omitted' } },
  additionalProperties: false,
} as const;

/**
 * Consumer status and parked events, for on-call engineers: a token sees the
 * consumers whose categories it may read, and may replay or purge their parked events.
 */
export function consumerRoutes(app: FastifyInstance, store: EventStore, consumers: ConsumerAccess): void {
  app.get(
    '/consumers',
    {
      schema: {
        summary: 'Every consumer the token may read, with checkpoint, lag, state, parked count and members',
        tags: ['consumers'],
        'x-scope': SCOPES.readConsumer,
        response: { 200: { type: 'array', items: consumerStatusSchema }, ...errorResponses },
      },
    },
    async (request) => {
      const visible = consumers.visible(request, await store.consumers.list());
      return visible.length === 0 ? [] : consumerStatus(store, visible.map((record) => record.name));
    },
  );

  app.get<{ Params: { name: string } }>(
    '/consumers/:name',
    { schema: { summary: "One consumer's status", tags: ['consumers'], 'x-scope': SCOPES.readConsumer, params: nameParams, response: { 200: consumerStatusSchema, ...errorResponses } } },
    async (request) => {
      await consumers.readable(request, request.params.name);
      const [status] = await consumerStatus(store, [request.params.name]);
      return status!;
    },
  );

  app.get<{ Params: { name: string }; Querystring: { after?: number; limit?: number } }>(
    '/consumers/:name/parked',
    {
      schema: {
        summary: "A page of a consumer's parked events, in position order",
        tags: ['consumers'],
        'x-scope': SCOPES.readConsumer,
        params: nameParams,
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', required: ['parked'], properties: { parked: { type: 'array', items: parkedSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      await consumers.readable(request, request.params.name);
      return { parked: await parkedEvents(store, request.params.name, request.query) };
    },
  );

  app.post<{ Params: { name: string }; Body: { positions?: number[] } | undefined }>(
    '/consumers/:name/parked/replay',
    {
      preValidation: emptyBodyIsAll,
      schema: {
        summary: 'Hand parked events back to the running consumer',
        tags: ['consumers'],
        'x-scope': SCOPES.changeConsumer,
        params: nameParams,
        body: positionsBody,
        response: { 200: { type: 'object', required: ['replayed'], properties: { replayed: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => {
      await consumers.changeable(request, request.params.name);
      return { replayed: await replayParked(store, request.params.name, request.body?.positions) };
    },
  );

  app.post<{ Params: { name: string }; Body: { positions?: number[] } | undefined }>(
    '/consumers/:name/parked/purge',
    {
      preValidation: emptyBodyIsAll,
      schema: {
        summary: 'Delete parked events',
        tags: ['consumers'],
        'x-scope': SCOPES.changeConsumer,
        params: nameParams,
        body: positionsBody,
        response: { 200: { type: 'object', required: ['purged'], properties: { purged: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => {
      await consumers.changeable(request, request.params.name);
      return { purged: await purgeParked(store, request.params.name, request.body?.positions) };
    },
  );
}
