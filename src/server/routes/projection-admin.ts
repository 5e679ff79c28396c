import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import { addDeclaredProjection } from '../../projections/declared.js';
import { queryLakes } from '../../projections/reading.js';
import { validLakeLimits } from '../../projections/sinks/lake-limits.js';
import { LakeQuerySlots } from '../../projections/sinks/lake-slots.js';
import { requestRebuild } from '../../projections/rebuild.js';
import { removeProjection } from '../../projections/remove.js';
import { projectionStatus } from '../../projections/status.js';
import type { ProjectionRecord } from '../../projections/registry.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import type { ProjectionAccess } from '../projection-access.js';
import { SCOPES } from '../route-scopes.js';
import { DEFAULT_LAKE, type ServerLakeLimits } from '../limits.js';
import { ERROR_CODE } from '../request-validation.js';
import { errorResponses } from '../schemas.js';
import { nameParams, projectionStatusSchema } from './projections.js';

/**
 * Managing projections from any language: add one from a definition (the
 * server feeds it), rebuild and remove, for admin tokens; a projection's status
 * for a token that reads its categories; and the lake query, where each lake is
 * a view only for a token that may read what it is built from. `lake` limits
 * the queries (DEFAULT_LAKE for what is not given).
 */
export function projectionAdminRoutes(
  app: FastifyInstance,
  store: EventStore,
  access: Access,
  projections: ProjectionAccess,
  lake: Partial<ServerLakeLimits> = {},
): void {
  app.get<{ Params: { name: string } }>(
    '/projections/:name',
    {
      schema: { summary: "One projection's status", tags: ['projections'], 'x-scope': SCOPES.readProjection, params: nameParams, response: { 200: projectionStatusSchema, ...errorResponses } },
    },
    async (request) => {
      await projections.checkReadable(request, request.params.name);
      const [status] = await projectionStatus(store, [request.params.name]);
      if (status === undefined) {
        throw new TributaryError('PROJECTION_NOT_FOUND', `no projection named ${JSON.stringify(request.params.name)} is registered`, { projection: request.params.name });
      }
      return status;
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/projections',
    {
      schema: {
        summary:
          'Register a projection from a declarative definition (docs/projections.md); the server feeds it. A higher version rebuilds it. ' +
          '400 INVALID_PROJECTION for a malformed definition or a reserved name (docs/projections.md#names)',
        tags: ['projections'],
        'x-scope': SCOPES.admin,
        body: { type: 'object', required: ['name', 'version', 'sink'], additionalProperties: true, [ERROR_CODE]: 'INVALID_PROJECTION' },
        response: { 201: projectionStatusSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      access.checkAdmin(request);
      const record = await addDeclaredProjection(store, request.body);
      const [status] = await projectionStatus(store, [record.name]);
      return reply.code(201).send(status!);
    },
  );

  app.post<{ Params: { name: string } }>(
    '/projections/:name/rebuild',
    {
      schema: {
        summary: 'Build a new generation from the first event beside the live one; readers switch when it has caught up (follow it with GET /projections/{name})',
        tags: ['projections'],
        'x-scope': SCOPES.admin,
        params: nameParams,
        response: {
          202: { type: 'object', required: ['generation', 'resumed'], properties: { generation: { type: 'integer' }, resumed: { type: 'boolean' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      access.checkAdmin(request);
      return reply.code(202).send(await requestRebuild(store, request.params.name));
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/projections/:name',
    {
      schema: {
        summary:
          'Remove a projection: its generations (tables or lake files), view and checkpoints; what feeds it here stops first. ' +
          '409 PROJECTION_BUSY (retriable) when another process still writes its lake: calling again finishes the removal',
        tags: ['projections'],
        'x-scope': SCOPES.admin,
        params: nameParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      access.checkAdmin(request);
      await removeProjection(store, request.params.name);
      return reply.code(204).send();
    },
  );

  const { concurrent = DEFAULT_LAKE.concurrent, ...lakeLimits } = lake;
  const limits = validLakeLimits(lakeLimits);
  const slots = new LakeQuerySlots(concurrent);
  // the workers are this server's: none outlives it
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
      // the response's close, not the request's: a request closes as soon as its body has been read
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.once('close', onClose);
      try {
        const includeLake = (record: ProjectionRecord) => readable.has(record.name);
        return await queryLakes(store, request.body.sql, { ...limits, limit: request.body.limit, signal: gone.signal, slots, includeLake });
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
}
