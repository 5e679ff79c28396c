import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import type { ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses, filterQuery, pageSchema } from '../schemas.js';
import { filterOf, type FilterQuery } from './filter.js';
import { pageText } from './page-text.js';

/** `GET /all`: the global log after a position, optionally filtered. */
export function allRoutes(app: FastifyInstance, store: EventStore, limits: ServerLimits, access: Access, metrics: ServerMetrics): void {
  app.get<{ Querystring: FilterQuery & { after?: number; limit?: number } }>(
    '/all',
    {
      schema: {
        summary: 'Read a page of the global log after a position',
        tags: ['log'],
        'x-scope': SCOPES.readFilter,
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: limits.pageSize, default: 100 },
            ...filterQuery,
          },
          additionalProperties: false,
        },
        response: {
          200: pageSchema('the `after` of the next page, or null at the head; a filtered page may be empty with a non-null next'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const filter = access.readableFilter(request, filterOf(request.query));
      const page = await store.readAll({ ...filter, after: request.query.after, limit: request.query.limit });
      metrics.readEvents.inc(page.events.length);
      return reply.type('application/json').send(pageText(page));
    },
  );
}
