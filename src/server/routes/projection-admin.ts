import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import { addDeclaredProjection } from '../../projections/declared.js';
import { queryLakes } from '../../projections/reading.js';
import { requestRebuild } from '../../projections/rebuild.js';
import { removeProjection } from '../../projections/remove.js';
import { projectionStatus } from '../../projections/status.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import { ERROR_CODE } from '../request-validation.js';
import { errorResponses } from '../schemas.js';
import { nameParams, projectionStatusSchema } from './projections.js';

/**
 * Managing projections from any language: add one from a definition (the
 * server feeds it), rebuild, remove, and query the data lake. Admin tokens only,
 * except the lake query, which needs a token that reads every category.
 */
export function projectionAdminRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  app.get<{ Params: { name: string } }>(
    '/projections/:name',
    { schema: { summary: "One projection's status", tags: ['projections'], params: nameParams, response: { 200: projectionStatusSchema, ...errorResponses } } },
    async (request) => {
      access.checkAdmin(request);
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
        summary: 'Register a projection from a declarative definition (docs/projections.md); the server feeds it. A higher version rebuilds it.',
        tags: ['projections'],
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
        summary: 'Remove a projection: its generations, view and checkpoints (stop what runs it first)',
        tags: ['projections'],
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

  app.post<{ Body: { sql: string } }>(
    '/lake/query',
    {
      schema: {
        summary: 'Run SQL through DuckDB over the lake projections, each a view named after it',
        tags: ['projections'],
        body: { type: 'object', required: ['sql'], properties: { sql: { type: 'string', minLength: 1, maxLength: 100_000 } }, additionalProperties: false },
        response: {
          200: { type: 'object', required: ['rows'], properties: { rows: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      access.checkReadAll(request);
      return { rows: await queryLakes(store, request.body.sql) };
    },
  );
}
