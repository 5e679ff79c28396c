import type { FastifyInstance } from 'fastify';
import type { EventQuery } from '../../core/event-query.js';
import type { EventStore } from '../../store/event-store.js';
import { planAllRead } from '../../store/options.js';
import type { Access } from '../access.js';
import { refuseAsLibrary } from '../append-checks.js';
import type { ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses, logReadQuery, pageSchema, queryReadBodySchema, rawQuery } from '../schemas.js';
import { filterOf, type FilterQuery } from './filter.js';
import { personalView } from '../personal-view.js';
import { pageText } from './page-text.js';

interface QueryReadBody {
  query: EventQuery;
  after?: number;
  limit?: number;
  categories?: string[];
  asOf?: string | number;
}

const NEXT_AFTER = 'the `after` of the next page, or null at the head; a filtered page may be empty with a non-null next';

/** `GET /all`: the global log after a position, optionally filtered; `POST /all/query`: the events matching a query. */
export function allRoutes(app: FastifyInstance, store: EventStore, limits: ServerLimits, access: Access, metrics: ServerMetrics): void {
  app.get<{ Querystring: FilterQuery & { after?: number; limit?: number; raw?: boolean; asOf?: string } }>(
    '/all',
    {
      schema: {
        summary: 'Read a page of the global log after a position, as it stands or as of a time or position (next is null once the page reaches it)',
        tags: ['log'],
        'x-scope': SCOPES.readFilter,
        querystring: logReadQuery(limits.pageSize),
        response: { 200: pageSchema(NEXT_AFTER), ...errorResponses },
      },
    },
    async (request, reply) => {
      const filter = access.readableFilter(request, filterOf(request.query));
      const { after, limit, raw, asOf } = request.query;
      const page = await personalView(store, access, request).readAll({ ...filter, after, limit, raw, asOf });
      metrics.readEvents.inc(page.events.length);
      return reply.type('application/json').send(pageText(page));
    },
  );

  app.post<{ Body: QueryReadBody; Querystring: { raw?: boolean } }>(
    '/all/query',
    {
      // a refused body gets the store's code for it, as for appends
      attachValidation: true,
      schema: {
        summary: 'Read a page of the events matching a query (types and tags), across streams: what a decision spanning streams reads',
        tags: ['log'],
        'x-scope': SCOPES.readQuery,
        querystring: { type: 'object', properties: rawQuery, additionalProperties: false },
        body: queryReadBodySchema(limits.pageSize),
        response: { 200: pageSchema(NEXT_AFTER), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { body } = request;
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, () => checkQueryReadAsLibrary(body));
      const { categories } = access.readableFilter(request, { categories: body.categories });
      const page = await personalView(store, access, request).readAll({ query: body.query, categories, after: body.after, limit: body.limit, raw: request.query.raw, asOf: body.asOf });
      metrics.readEvents.inc(page.events.length);
      return reply.type('application/json').send(pageText(page));
    },
  );
}

/** The checks `store.readAll` makes of a read by query, on a body as received. */
function checkQueryReadAsLibrary(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const { query, after, limit, categories, asOf } = body as Record<string, never>;
  planAllRead({ query, after, limit, categories, asOf });
}
