import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import type { ConsumerState, ParkRequest, PartitionCheckpoint } from '../../store/consumer-store.js';
import type { EventStore, LogFilter } from '../../store/event-store.js';
import { errorResponses } from '../schemas.js';
import { emptyBodyIsAll } from './consumers.js';

const name = { type: 'string', minLength: 1, maxLength: 128 } as const;
const nameParams = { type: 'object', required: ['name'], properties: { name } } as const;
const memberParams = { type: 'object', required: ['name', 'member'], properties: { name, member: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const record = { type: 'object', additionalProperties: true, description: 'the consumer record: name, filter, partitions (checkpoint, owner), members, parked, fault, createdAt' } as const;
const partitions = { type: 'array', items: { type: 'integer', minimum: 0 } } as const;
const checkpoints = {
  type: 'array',
  items: { type: 'object', required: ['partition', 'position'], properties: { partition: { type: 'integer', minimum: 0 }, position: { type: 'integer', minimum: 0 } } },
} as const;
const noContent = { 204: { type: 'null' }, ...errorResponses } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
// a log filter and nothing else: it is stored as JSON text with the consumer
const filter = {
  type: 'object',
  properties: { categories: strings, types: strings, streamPrefix: { type: 'string' } },
  additionalProperties: false,
} as const;

/**
 * A consumer's bookkeeping — registration, checkpoints, group membership and
 * leases, parking — over HTTP: what the remote store uses, and what a group
 * member written in any language calls (docs/http.md describes the protocol).
 * It reveals no events, so any valid token may use it.
 */
export function consumerStateRoutes(app: FastifyInstance, store: EventStore): void {
  const consumers = store.consumers;
  const tags = ['consumer state'];

  app.put<{ Params: { name: string }; Body: { partitions: number; startAt: number; filter: LogFilter } }>(
    '/consumers/:name',
    {
      schema: {
        summary: 'Register a consumer (or find it): its partition count, where it starts, its filter',
        tags,
        params: nameParams,
        body: {
          type: 'object',
          required: ['partitions', 'startAt', 'filter'],
          properties: { partitions: { type: 'integer', minimum: 1, maximum: 1024 }, startAt: { type: 'integer', minimum: 0 }, filter },
          additionalProperties: false,
        },
        response: { 200: record, ...errorResponses },
      },
    },
    async (request) => consumers.register({ name: request.params.name, ...request.body }),
  );

  app.get<{ Params: { name: string } }>(
    '/consumers/:name/record',
    { schema: { summary: "A consumer's stored record (404 CONSUMER_NOT_FOUND when none)", tags, params: nameParams, response: { 200: record, ...errorResponses } } },
    async (request) => {
      const found = await consumers.get(request.params.name);
      if (found === undefined) throw new TributaryError('CONSUMER_NOT_FOUND', `no consumer named ${request.params.name}`, { consumer: request.params.name });
      return found;
    },
  );

  app.get('/consumer-records', { schema: { summary: 'Every stored consumer record', tags, response: { 200: { type: 'array', items: record }, ...errorResponses } } }, async () =>
    consumers.list(),
  );

  app.delete<{ Params: { name: string } }>(
    '/consumers/:name',
    { schema: { summary: 'Forget a consumer: checkpoints, members, parked events', tags, params: nameParams, response: { 200: { type: 'object', properties: { removed: { type: 'boolean' } } }, ...errorResponses } } },
    async (request) => ({ removed: await consumers.remove(request.params.name) }),
  );

  app.post<{ Params: { name: string }; Body: { checkpoints: PartitionCheckpoint[]; owner?: string } }>(
    '/consumers/:name/checkpoints',
    {
      schema: {
        summary: 'Move checkpoints forward; with owner, only partitions that member holds (the others come back as lost)',
        tags,
        params: nameParams,
        body: { type: 'object', required: ['checkpoints'], properties: { checkpoints, owner: { type: 'string' } }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['lost'], properties: { lost: partitions } }, ...errorResponses },
      },
    },
    async (request) => ({ lost: await consumers.saveCheckpoints(request.params.name, request.body.checkpoints, request.body.owner) }),
  );

  app.post<{ Params: { name: string; member: string }; Body: { state: ConsumerState; position: number; leaseMs: number } }>(
    '/consumers/:name/members/:member/heartbeat',
    {
      schema: {
        summary: "Renew a member's lease and report its state; answers the members still alive",
        tags,
        params: memberParams,
        body: {
          type: 'object',
          required: ['state', 'position', 'leaseMs'],
          properties: { state: { type: 'string', enum: ['catching-up', 'live', 'stopped', 'faulted'] }, position: { type: 'integer', minimum: 0 }, leaseMs: { type: 'integer', minimum: 1 } },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', required: ['members'], properties: { members: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses },
      },
    },
    async (request) => ({ members: await consumers.heartbeat(request.params.name, { member: request.params.member, ...request.body }) }),
  );

  app.post<{ Params: { name: string; member: string }; Body: { partitions: number[] } }>(
    '/consumers/:name/members/:member/claim',
    {
      schema: {
        summary: 'Take the partitions that are free or whose holder is gone; answers every partition the member holds',
        tags,
        params: memberParams,
        body: { type: 'object', required: ['partitions'], properties: { partitions }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['held'], properties: { held: partitions } }, ...errorResponses },
      },
    },
    async (request) => ({ held: await consumers.claim(request.params.name, request.params.member, request.body.partitions) }),
  );

  app.post<{ Params: { name: string; member: string }; Body: { partitions?: number[] } | undefined }>(
    '/consumers/:name/members/:member/release',
    {
      preValidation: emptyBodyIsAll,
      schema: { summary: 'Let go of partitions (all when omitted)', tags, params: memberParams, body: { type: 'object', properties: { partitions }, additionalProperties: false }, response: noContent },
    },
    async (request, reply) => {
      await consumers.release(request.params.name, request.params.member, request.body?.partitions);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { name: string; member: string } }>(
    '/consumers/:name/members/:member',
    { schema: { summary: 'Leave the group: the member is removed and its partitions released', tags, params: memberParams, response: noContent } },
    async (request, reply) => {
      await consumers.leave(request.params.name, request.params.member);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { name: string }; Body: { fault: string | null } }>(
    '/consumers/:name/fault',
    {
      schema: {
        summary: 'Record (or clear, with null) the fault a consumer stopped on',
        tags,
        params: nameParams,
        body: { type: 'object', required: ['fault'], properties: { fault: { type: ['string', 'null'] } }, additionalProperties: false },
        response: noContent,
      },
    },
    async (request, reply) => {
      await consumers.setFault(request.params.name, request.body.fault);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { name: string }; Body: ParkRequest }>(
    '/consumers/:name/parked',
    {
      schema: {
        summary: 'Park an event with the error its handler failed with',
        tags,
        params: nameParams,
        body: {
          type: 'object',
          required: ['position', 'eventId', 'stream', 'type', 'error', 'attempts'],
          properties: {
            position: { type: 'integer', minimum: 1 },
            eventId: { type: 'string' },
            stream: { type: 'string' },
            type: { type: 'string' },
            error: { type: 'string' },
            attempts: { type: 'integer', minimum: 0 },
          },
          additionalProperties: false,
        },
        response: noContent,
      },
    },
    async (request, reply) => {
      await consumers.park(request.params.name, request.body);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { name: string }; Querystring: { limit?: number } }>(
    '/consumers/:name/replay-requests',
    {
      schema: {
        summary: 'Parked events marked for replay, oldest first',
        tags,
        params: nameParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['parked'], properties: { parked: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses },
      },
    },
    async (request) => ({ parked: await consumers.replayRequests(request.params.name, request.query.limit ?? 100) }),
  );
}
