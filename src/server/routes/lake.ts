import type { FastifyInstance } from 'fastify';
import { queryLakes } from '../../projections/reading/queries.js';
import type { ProjectionRecord } from '../../projections/lifecycle/registry.js';
import { validLakeLimits } from '../../projections/sinks/lake-limits.js';
import { LakeQuerySlots } from '../../projections/sinks/lake-slots.js';
import type { EventStore } from '../../store/event-store.js';
import { whileConnected } from '../client-gone.js';
import { DEFAULT_LAKE, type ServerLakeLimits } from '../limits.js';
import type { ProjectionAccess } from '../projection-access.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

/**
 * `POST /lake/query`: one read-only SELECT through DuckDB over the lake
 * projections, each a view only for a token that may read what it is built
 * from. `lake` limits the queries (DEFAULT_LAKE for what is not given); their
 * worker processes are this server's and stop with it.
 */
export function lakeRoutes(app: FastifyInstance, store: EventStore, projections: ProjectionAccess, lake: Partial<ServerLakeLimits> = {}): void {
  const { concurrent = DEFAULT_LAKE.concurrent, ...lakeLimits } = lake;
  const limits = validLakeLimits(lakeLimits);
  const slots = new LakeQuerySlots(concurrent);
  app.addHook('onClose', async () => slots.close());
  app.post<{ Body: { sql: string; limit?: number } }>(
    '/lake/query',
    {
      schema: {
        summary:
          `Run one read-only SELECT through DuckDB over the lake projections, each a view named after it: at most limit rows ` +
          `(default ${Math.min(limits.defaultRows, limits.maxRows)}), truncated when more existed; stopped after ${limits.timeoutMs} ms or when the client goes away`,
        tags: ['projections'],
        'x-scope': SCOPES.readLakes,
        body: {
          type: 'object',
          required: ['sql'],
          properties: { sql: { type: 'string', minLength: 1, maxLength: 100_000 }, limit: { type: 'integer', minimum: 1, maximum: limits.maxRows } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['rows', 'truncated'],
            properties: { rows: { type: 'array', items: { type: 'object', additionalProperties: true } }, truncated: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // a lake is a view only for a token that may read every category it is built from
      const readable = new Set((await projections.visible(request)).map((record) => record.name));
      const includeLake = (record: ProjectionRecord) => readable.has(record.name);
      return whileConnected(reply, (signal) => queryLakes(store, request.body.sql, { ...limits, limit: request.body.limit, signal, slots, includeLake }));
    },
  );
}
