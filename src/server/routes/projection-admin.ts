import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import { addDeclaredProjection } from '../../projections/lifecycle/file-projections.js';
import { requestRebuild } from '../../projections/lifecycle/rebuild.js';
import { removeProjection } from '../../projections/lifecycle/remove.js';
import { projectionStatus } from '../../projections/reading/status.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import type { ProjectionAccess } from '../projection-access.js';
import { SCOPES } from '../route-scopes.js';
import { ERROR_CODE } from '../request-validation.js';
import { errorResponses } from '../schemas.js';
import { nameParams, projectionStatusSchema } from './projections.js';

/**
 * Managing projections from any language: add one from a definition (the
 * server feeds it), rebuild and remove, for admin tokens; a projection's status
 * for a token that reads its categories.
 */
export function projectionAdminRoutes(app: FastifyInstance, store: EventStore, access: Access, projections: ProjectionAccess): void {
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
}
