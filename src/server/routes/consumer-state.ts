import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import type { ConsumerState, ParkRequest, PartitionCheckpoint } from '../../store/consumer-store.js';
import type { EventStore, LogFilter } from '../../store/event-store.js';
import type { Access } from '../access.js';
import type { ConsumerAccess } from '../consumer-access.js';
import { categoriesOf } from '../../store/filter-categories.js';
import { SCOPES } from '../route-scopes.js';
import { removeConsumer } from '../../subscriptions/remove-consumer.js';
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
const groupView = {
  type: 'object',
  required: ['members', 'owners', 'now'],
  properties: {
    members: { type: 'array', items: { type: 'object', additionalProperties: true } },
    owners: { type: 'array', items: { type: ['string', 'null'] }, description: 'the member holding each partition (null when free), indexed by partition' },
    now: { type: 'integer', description: "the store's clock (ms since the epoch) when the beat was stamped: judge leaseUntil against it" },
  },
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
 * A consumer belongs to the categories of its stored filter: every route
 * needs read scope on each of them.
 */
export function consumerStateRoutes(app: FastifyInstance, store: EventStore, access: Access, guard: ConsumerAccess): void {
  const consumers = store.consumers;
  const tags = ['consumer state'];

  app.put<{ Params: { name: string }; Body: { partitions: number; startAt: number; filter: LogFilter } }>(
    '/consumers/:name',
    {
      schema: {
        summary: 'Register a consumer (or find it): its partition count, where it starts, its filter (409 CONSUMER_CONFLICT when it exists with another)',
        tags,
        'x-scope': SCOPES.registerConsumer,
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
    async (request) => {
      const { name } = request.params;
      guard.refuseProjectionConsumer(name);
      access.checkRead(request, categoriesOf(request.body.filter), `a consumer reading ${JSON.stringify(request.body.filter)}`);
      const existing = await consumers.get(name);
      if (existing !== undefined) access.checkRead(request, categoriesOf(existing.filter), `consumer ${JSON.stringify(name)}`);
      return consumers.register({ name, ...request.body });
    },
  );

  app.get<{ Params: { name: string } }>(
    '/consumers/:name/record',
    { schema: { summary: "A consumer's stored record (404 CONSUMER_NOT_FOUND when none)", tags, 'x-scope': SCOPES.readConsumer, params: nameParams, response: { 200: record, ...errorResponses } } },
    async (request) => guard.readable(request, request.params.name),
  );

  app.get(
    '/consumer-records',
    { schema: { summary: 'Every stored consumer record the token may read', tags, 'x-scope': SCOPES.readConsumer, response: { 200: { type: 'array', items: record }, ...errorResponses } } },
    async (request) => guard.visible(request, await consumers.list()),
  );

  app.delete<{ Params: { name: string } }>(
    '/consumers/:name',
    {
      schema: {
        summary: "Forget a consumer: checkpoints, members, parked events, gateway recordings (a projection's consumers go with the projection)",
        tags,
        'x-scope': SCOPES.changeConsumer,
        params: nameParams,
        response: { 200: { type: 'object', properties: { removed: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request) => {
      guard.refuseProjectionConsumer(request.params.name);
      await guard.changeable(request, request.params.name);
      return { removed: await removeConsumer(store, request.params.name) };
    },
  );

  app.post<{ Params: { name: string }; Body: { checkpoints: PartitionCheckpoint[]; owner?: string } }>(
    '/consumers/:name/checkpoints',
    {
      schema: {
        summary: 'Move checkpoints forward; with owner, only partitions that member holds (the others come back as lost)',
        tags,
        'x-scope': SCOPES.changeConsumer,
        params: nameParams,
        body: { type: 'object', required: ['checkpoints'], properties: { checkpoints, owner: { type: 'string' } }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['lost'], properties: { lost: partitions } }, ...errorResponses },
      },
    },
    async (request) => {
      await guard.changeable(request, request.params.name);
      await refusePastHead(store, request.body.checkpoints);
      return { lost: await consumers.saveCheckpoints(request.params.name, request.body.checkpoints, request.body.owner) };
    },
  );

  app.post<{ Params: { name: string; member: string }; Body: { state: ConsumerState; position: number; leaseMs: number } }>(
    '/consumers/:name/members/:member/heartbeat',
    {
      schema: {
        summary: "Renew a member's lease and report its state; answers the members still alive, who holds each partition, and the server's clock",
        tags,
        'x-scope': SCOPES.changeConsumer,
        params: memberParams,
        body: {
          type: 'object',
          required: ['state', 'position', 'leaseMs'],
          properties: { state: { type: 'string', enum: ['catching-up', 'live', 'stopped', 'faulted'] }, position: { type: 'integer', minimum: 0 }, leaseMs: { type: 'integer', minimum: 1 } },
          additionalProperties: false,
        },
        response: { 200: groupView, ...errorResponses },
      },
    },
    async (request) => {
      await guard.changeable(request, request.params.name);
      return consumers.heartbeat(request.params.name, { member: request.params.member, ...request.body });
    },
  );

  app.post<{ Params: { name: string; member: string }; Body: { partitions: number[] } }>(
    '/consumers/:name/members/:member/claim',
    {
      schema: {
        summary: 'Take the partitions that are free or whose holder is gone; answers every partition the member holds',
        tags,
        'x-scope': SCOPES.changeConsumer,
        params: memberParams,
        body: { type: 'object', required: ['partitions'], properties: { partitions }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['held'], properties: { held: partitions } }, ...errorResponses },
      },
    },
    async (request) => {
      await guard.changeable(request, request.params.name);
      return { held: await consumers.claim(request.params.name, request.params.member, request.body.partitions) };
    },
  );

  app.post<{ Params: { name: string; member: string }; Body: { partitions?: number[] } | undefined }>(
    '/consumers/:name/members/:member/release',
    {
      preValidation: emptyBodyIsAll,
      schema: { summary: 'Let go of partitions (all when omitted)', tags, 'x-scope': SCOPES.changeConsumer, params: memberParams, body: { type: 'object', properties: { partitions }, additionalProperties: false }, response: noContent },
    },
    async (request, reply) => {
      await guard.changeable(request, request.params.name);
      await consumers.release(request.params.name, request.params.member, request.body?.partitions);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { name: string; member: string } }>(
    '/consumers/:name/members/:member',
    { schema: { summary: 'Leave the group: the member is removed and its partitions released', tags, 'x-scope': SCOPES.changeConsumer, params: memberParams, response: noContent } },
    async (request, reply) => {
      await guard.changeable(request, request.params.name);
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
        'x-scope': SCOPES.changeConsumer,
        params: nameParams,
        body: { type: 'object', required: ['fault'], properties: { fault: { type: ['string', 'null'] } }, additionalProperties: false },
        response: noContent,
      },
    },
    async (request, reply) => {
      await guard.changeable(request, request.params.name);
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
        'x-scope': SCOPES.changeConsumer,
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
      await guard.changeable(request, request.params.name);
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
        'x-scope': SCOPES.changeConsumer,
        params: nameParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['parked'], properties: { parked: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses },
      },
    },
    async (request) => {
      await guard.changeable(request, request.params.name);
      return { parked: await consumers.replayRequests(request.params.name, request.query.limit ?? 100) };
    },
  );
}

/** A checkpoint past the head would make the consumer skip the events still to come there. */
async function refusePastHead(store: EventStore, checkpoints: readonly PartitionCheckpoint[]): Promise<void> {
  const highest = Math.max(0, ...checkpoints.map((checkpoint) => checkpoint.position));
  if (highest === 0) return;
  const head = await store.headPosition();
  if (highest > head) throw invalidArgument('position', `${highest} is past the head of the log (${head}): a checkpoint names an event already handled`);
}
