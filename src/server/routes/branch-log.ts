import type { FastifyInstance } from 'fastify';
import type { EventData } from '../../core/event.js';
import type { AppendCondition, EventQuery } from '../../core/event-query.js';
import { planAllRead } from '../../store/options.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import type { StreamAppend } from '../../core/stream-appends.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import { checkAppendAsLibrary, checkAppendManyAsLibrary, checkEventLimits, refuseAsLibrary } from '../append-checks.js';
import { refuseClaimedProducer, withProducer } from '../appended-by.js';
import type { ServerLimits } from '../limits.js';
import { personalView } from '../personal-view.js';
import { SCOPES } from '../route-scopes.js';
import { answerHead, headQuery, headResult } from './head-answer.js';
import { appendBodySchema, appendManyBodySchema, appendManyResultSchema, appendResultSchema, errorResponses, logReadQuery, pageSchema, queryReadBodySchema, rawQuery, streamParams, streamReadQuery } from '../schemas.js';
import { branchUnsupported } from '../../store/branches.js';
import { filterOf, type FilterQuery } from './filter.js';
import { pageText } from './page-text.js';
import { streamInfoSchema } from './store-admin.js';
import { branchParams } from './branches.js';

const asOfQuery = {
  asOf: { type: 'string', description: "read as the branch stood at a position (from 1 up to the branch's head) or an ISO 8601 time" },
} as const;

const branchStreamParams = {
  type: 'object',
  required: ['name', 'stream'],
  properties: { ...branchParams.properties, ...streamParams.properties },
} as const;

/** The branch `name` of the served store as a store; BRANCH_UNSUPPORTED when the store has no branches. */
export function branchStore(store: EventStore, name: string): EventStore {
  if (store.branch === undefined) throw branchUnsupported(name, 'a branch', 'needs a store with tables of its own');
  return store.branch(name);
}

/**
 * A branch's log under `/branches/{name}`, in the shapes of the real log's
 * routes (`/streams/{stream}`, `/streams`, `/streams/{stream}/info`, `/all`,
 * `/head`) and with the same scopes per stream and category.
 */
export function branchLogRoutes(app: FastifyInstance, store: EventStore, limits: ServerLimits, access: Access): void {
  app.post<{ Params: { name: string; stream: string }; Body: { expectedRevision?: ExpectedRevision; events: EventData[]; condition?: AppendCondition } }>(
    '/branches/:name/streams/:stream',
    {
      attachValidation: true,
      schema: {
        summary: "Append events to a stream of a branch, under an expected revision checked against the branch's view of the stream",
        tags: ['branches'],
        'x-scope': SCOPES.writeStream,
        params: branchStreamParams,
        body: appendBodySchema,
        response: { 201: appendResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, stream } = request.params;
      const asLibrary = () => checkAppendAsLibrary(stream, request.body);
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, asLibrary);
      access.check(request, 'write', stream);
      const { events, expectedRevision } = request.body;
      checkEventLimits([{ events }], limits, asLibrary);
      refuseClaimedProducer([{ events }]);
      const branch = branchStore(store, name);
      const condition = access.readableCondition(request, request.body.condition);
      return reply.code(201).send(await branch.append(stream, withProducer(events, access.producer(request)), { expectedRevision, condition }));
    },
  );

  app.post<{ Params: { name: string }; Body: { appends: StreamAppend[]; condition?: AppendCondition } }>(
    '/branches/:name/streams',
    {
      attachValidation: true,
      schema: {
        summary: 'Append to several streams of a branch atomically, each under its expected revision',
        tags: ['branches'],
        'x-scope': SCOPES.writeStreams,
        params: branchParams,
        body: appendManyBodySchema,
        response: { 201: appendManyResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const asLibrary = () => checkAppendManyAsLibrary(request.body);
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, asLibrary);
      const { appends } = request.body;
      for (const { stream } of appends) access.check(request, 'write', stream);
      const parts = appends.map(({ events }, append) => ({ events, append }));
      checkEventLimits(parts, limits, asLibrary);
      refuseClaimedProducer(parts);
      const producer = access.producer(request);
      const stamped = appends.map((part) => ({ ...part, events: withProducer(part.events, producer) }));
      const condition = access.readableCondition(request, request.body.condition);
      return reply.code(201).send(await branchStore(store, request.params.name).appendMany(stamped, { condition }));
    },
  );

  app.get<{ Params: { name: string; stream: string }; Querystring: { from?: number; limit?: number; direction?: 'forward' | 'backward'; raw?: boolean; asOf?: string } }>(
    '/branches/:name/streams/:stream',
    {
      schema: {
        summary: "Read a page of a stream as the branch sees it: its real events up to the fork, then the branch's",
        tags: ['branches'],
        'x-scope': SCOPES.readStream,
        params: branchStreamParams,
        querystring: streamReadQuery(limits.pageSize),
        response: { 200: pageSchema('the `from` of the next page, or null at the end'), ...errorResponses },
      },
    },
    async (request, reply) => {
      access.check(request, 'read', request.params.stream);
      const page = await personalView(branchStore(store, request.params.name), access, request).readStream(request.params.stream, request.query);
      return reply.type('application/json').send(pageText(page));
    },
  );

  app.get<{ Params: { name: string; stream: string } }>(
    '/branches/:name/streams/:stream/info',
    {
      schema: { summary: 'Where a stream stands on the branch (never 404 for the stream)', tags: ['branches'], 'x-scope': SCOPES.readStream, params: branchStreamParams, response: { 200: streamInfoSchema, ...errorResponses } },
    },
    async (request) => {
      access.check(request, 'read', request.params.stream);
      return branchStore(store, request.params.name).streamInfo(request.params.stream);
    },
  );

  app.get<{ Params: { name: string }; Querystring: FilterQuery & { after?: number; limit?: number; raw?: boolean; asOf?: string } }>(
    '/branches/:name/all',
    {
      schema: {
        summary: "Read a page of the branch's log after a position: the real log up to the fork, then the branch's events",
        tags: ['branches'],
        'x-scope': SCOPES.readFilter,
        params: branchParams,
        querystring: logReadQuery(limits.pageSize),
        response: { 200: pageSchema('the `after` of the next page, or null at the head; a filtered page may be empty with a non-null next'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const filter = access.readableFilter(request, filterOf(request.query));
      const { after, limit, raw, asOf } = request.query;
      const page = await personalView(branchStore(store, request.params.name), access, request).readAll({ ...filter, after, limit, raw, asOf });
      return reply.type('application/json').send(pageText(page));
    },
  );

  app.post<{ Params: { name: string }; Body: { query: EventQuery; after?: number; limit?: number; categories?: string[] }; Querystring: { raw?: boolean; asOf?: string } }>(
    '/branches/:name/all/query',
    {
      attachValidation: true,
      schema: {
        summary: "Read a page of the branch's events matching a query (types and tags), across streams",
        tags: ['branches'],
        'x-scope': SCOPES.readQuery,
        params: branchParams,
        querystring: { type: 'object', properties: { ...rawQuery, ...asOfQuery }, additionalProperties: false },
        body: queryReadBodySchema(limits.pageSize),
        response: { 200: pageSchema('the `after` of the next page, or null at the head'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { body } = request;
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, () => void (typeof body === 'object' && body !== null && planAllRead(body)));
      const { categories } = access.readableFilter(request, { categories: body.categories });
      const { raw, asOf } = request.query;
      const page = await personalView(branchStore(store, request.params.name), access, request).readAll({ query: body.query, categories, after: body.after, limit: body.limit, raw, asOf });
      return reply.type('application/json').send(pageText(page));
    },
  );

  app.get<{ Params: { name: string }; Querystring: { after?: number; timeoutMs?: number } }>(
    '/branches/:name/head',
    {
      schema: {
        summary: "The branch's head position (fork + its events); with after, waits (long poll) until the head passes it or timeoutMs runs out",
        tags: ['branches'],
        'x-scope': SCOPES.token,
        params: branchParams,
        querystring: headQuery,
        response: { 200: headResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      return answerHead(branchStore(store, request.params.name), request.query, reply);
    },
  );
}
