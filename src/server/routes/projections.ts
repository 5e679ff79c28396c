import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import { waitForProjection } from '../../projections/lifecycle/progress.js';
import { findDocuments, getDocument, searchProjection } from '../../projections/reading/queries.js';
import { projectionStatus } from '../../projections/reading/status.js';
import type { EventStore } from '../../store/event-store.js';
import type { ProjectionAccess } from '../projection-access.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

export const projectionStatusSchema = {
  type: 'object',
  required: ['name', 'version', 'sink', 'mode', 'generation', 'position', 'lagEvents', 'lagSeconds', 'state', 'parked', 'rebuilding', 'redactions'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    sink: { type: 'string', enum: ['table', 'documents', 'search', 'lake'] },
    mode: { type: 'string', enum: ['async', 'inline'] },
    generation: { type: 'integer', description: 'the generation readers see' },
    position: { type: 'integer' },
    lagEvents: { type: 'integer' },
    lagSeconds: { type: 'number' },
    state: { type: 'string' },
    parked: { type: 'integer' },
    rebuilding: {
      type: ['object', 'null'],
      properties: { generation: { type: 'integer' }, version: { type: 'integer' }, position: { type: 'integer' }, lagEvents: { type: 'integer' } },
    },
    redactions: {
      type: 'object',
      description: 'redactions, since the live generation began, of events it had already applied; a rebuild sees only their markers',
      required: ['count', 'lastAt', 'rebuildAdvised'],
      properties: { count: { type: 'integer' }, lastAt: { type: ['string', 'null'], format: 'date-time' }, rebuildAdvised: { type: 'boolean' } },
    },
  },
} as const;

/** A projection's name in the path. */
export const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 40 } } } as const;
const waitQuery = {
  waitFor: { type: 'integer', minimum: 0, description: 'answer only once the projection reflects every event up to this position (read your own writes)' },
  timeoutMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 5_000, description: 'how long waitFor may wait before 504 PROJECTION_NOT_CAUGHT_UP' },
} as const;

interface WaitQuery {
  waitFor?: number;
  timeoutMs?: number;
}

/** Projection status and reads: documents and search hits are built from the categories the projection reads, so they need read scope on each. */
export function projectionRoutes(app: FastifyInstance, store: EventStore, projections: ProjectionAccess): void {
  const waitIfAsked = async (name: string, query: WaitQuery) => {
    if (query.waitFor !== undefined) await waitForProjection(store, name, query.waitFor, { timeoutMs: query.timeoutMs });
  };

  app.get(
    '/projections',
    {
      schema: {
        summary: 'Every projection the token may read: version, sink, generation, position, lag, state',
        tags: ['projections'],
        'x-scope': SCOPES.readProjection,
        response: { 200: { type: 'array', items: projectionStatusSchema }, ...errorResponses },
      },
    },
    async (request) => {
      if (store.sql === undefined) return [];
      const visible = await projections.visible(request);
      return visible.length === 0 ? [] : projectionStatus(store, visible.map((record) => record.name));
    },
  );

  app.get<{ Params: { name: string; id: string }; Querystring: WaitQuery }>(
    '/projections/:name/documents/:id',
    {
      schema: {
        summary: 'One document of a document projection',
        tags: ['projections'],
        'x-scope': SCOPES.readProjection,
        params: { type: 'object', required: ['name', 'id'], properties: { name: nameParams.properties.name, id: { type: 'string', minLength: 1 } } },
        querystring: { type: 'object', properties: waitQuery, additionalProperties: false },
        response: { 200: { type: 'object', required: ['id', 'document'], properties: { id: { type: 'string' }, document: {} } }, ...errorResponses },
      },
    },
    async (request) => {
      const { name, id } = request.params;
      await projections.checkReadable(request, name);
      await waitIfAsked(name, request.query);
      const document = await getDocument(store, name, id);
      if (document === undefined) throw new TributaryError('DOCUMENT_NOT_FOUND', `projection ${name} has no document ${JSON.stringify(id)}`, { projection: name, id });
      return { id, document };
    },
  );

  app.get<{ Params: { name: string }; Querystring: WaitQuery & { field?: string; value?: string; after?: string; limit?: number } }>(
    '/projections/:name/documents',
    {
      schema: {
        summary: 'Documents whose field equals a value (compared as JSON: value=2 is the number, value="2" the string), in id order',
        tags: ['projections'],
        'x-scope': SCOPES.readProjection,
        params: nameParams,
        querystring: {
          type: 'object',
          properties: {
            ...waitQuery,
            field: { type: 'string', description: 'a field path such as customer.city' },
            value: { type: 'string', description: 'JSON, or a plain string' },
            after: { type: 'string', description: 'the last id of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['documents'],
            properties: { documents: { type: 'array', items: { type: 'object', required: ['id', 'document'], properties: { id: { type: 'string' }, document: {} } } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      await projections.checkReadable(request, name);
      const { field, value, after, limit } = request.query;
      await waitIfAsked(name, request.query);
      const filter = field === undefined ? {} : { [field]: parseValue(value) };
      const found = await findDocuments(store, name, filter, { after, limit });
      return { documents: found.map(({ id, doc }) => ({ id, document: doc })) };
    },
  );

  app.get<{ Params: { name: string }; Querystring: WaitQuery & { q: string; limit?: number } }>(
    '/projections/:name/search',
    {
      schema: {
        summary: 'Full-text search in a search projection, best match first',
        tags: ['projections'],
        'x-scope': SCOPES.readProjection,
        params: nameParams,
        querystring: {
          type: 'object',
          required: ['q'],
          properties: { ...waitQuery, q: { type: 'string', maxLength: 1_000 }, limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 20 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['hits'],
            properties: {
              hits: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'rank', 'fields'],
                  properties: { id: { type: 'string' }, rank: { type: 'number' }, fields: { type: 'object', additionalProperties: { type: 'string' } } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await projections.checkReadable(request, request.params.name);
      await waitIfAsked(request.params.name, request.query);
      return { hits: await searchProjection(store, request.params.name, request.query.q, { limit: request.query.limit }) };
    },
  );
}

function parseValue(value: string | undefined): string | number | boolean | null {
  if (value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed === 'string' || typeof parsed === 'number' || typeof parsed === 'boolean') return parsed;
  } catch {
    // not JSON: a plain string
  }
  return value;
}
