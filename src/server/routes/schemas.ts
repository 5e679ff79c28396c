import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { Compatibility, JsonSchema, SchemaRegistry, SchemaVersion, UpcastRule, ValidationMode } from '../../store/schema-registry.js';
import type { Access } from '../access.js';
import {
  categoryParams,
  checkBodySchema,
  compatibilityBodySchema,
  modeBodySchema,
  modesSchema,
  registerBodySchema,
  registrySharedSchemas,
  typeParams,
  upcasterBodySchema,
  upcasterParams,
  versionParams,
} from '../registry-http-schemas.js';
import { SCOPES } from '../route-scopes.js';
import { SchemaAccess } from '../schema-access.js';
import { schemaDocument } from '../schema-document.js';
import { errorResponses } from '../schemas.js';

const TAGS = ['schemas'];
const noContent = { 204: { type: 'null', description: 'done' }, ...errorResponses } as const;

/**
 * The schema registry over HTTP: event types' versions, compatibility modes
 * and upcaster rules under `/schemas`, validation modes per category under
 * `/schema-modes`, and the registered schemas as an OpenAPI document at
 * `/schemas/openapi.json`. Who may see and change what is SchemaAccess's.
 */
export function schemaRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  const registry = () => registryOf(store);
  const guard = new SchemaAccess(registry, access);
  for (const schema of registrySharedSchemas) app.addSchema(schema);

  app.get(
    '/schemas',
    {
      schema: {
        summary: 'The event types with registered schemas, and the categories with a validation mode, that the token may read',
        tags: TAGS,
        'x-scope': SCOPES.readSchemas,
        response: {
          200: {
            type: 'object',
            required: ['types', 'modes'],
            properties: { types: { type: 'array', items: { $ref: 'SchemaTypeSummary#' } }, modes: modesSchema.properties.modes },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const [types, modes] = await Promise.all([registry().list(), registry().modes()]);
      return {
        types: types.filter((summary) => guard.mayRead(request, summary)),
        modes: modes.filter(({ category }) => guard.mayReadMode(request, category)),
      };
    },
  );

  // a static path: it wins over /schemas/{type}, so no event type can be read under the name openapi.json
  app.get(
    '/schemas/openapi.json',
    {
      schema: {
        summary: 'Every registered version of every event type the token may read, as an OpenAPI 3.1 document of components (OrderPlacedV1, …) for code generators',
        tags: TAGS,
        'x-scope': SCOPES.readSchemas,
        response: { 200: { type: 'object', additionalProperties: true, description: 'an OpenAPI 3.1 document' }, ...errorResponses },
      },
    },
    async (request) => {
      const readable = (await registry().list()).filter((summary) => guard.mayRead(request, summary) && summary.latest > 0);
      const details = await Promise.all(readable.map((summary) => registry().describe(summary.type)));
      return schemaDocument(details.flatMap((type): SchemaVersion[] => type.versions));
    },
  );

  app.get<{ Params: { type: string } }>(
    '/schemas/:type',
    {
      schema: {
        summary: "One event type's versions, compatibility mode, categories and upcaster rules",
        tags: TAGS,
        'x-scope': SCOPES.readSchemaType,
        params: typeParams,
        response: { 200: { $ref: 'SchemaTypeDetails#' }, ...errorResponses },
      },
    },
    async (request) => guard.readable(request, request.params.type),
  );

  app.get<{ Params: { type: string; version: string } }>(
    '/schemas/:type/versions/:version',
    {
      schema: {
        summary: "One version of an event type's schema; latest for its newest",
        tags: TAGS,
        'x-scope': SCOPES.readSchemaType,
        params: versionParams,
        response: { 200: { $ref: 'SchemaVersion#' }, ...errorResponses },
      },
    },
    async (request) => {
      const { type, version } = request.params;
      await guard.readable(request, type);
      return registry().version(type, version === 'latest' ? 'latest' : Number(version));
    },
  );

  app.post<{ Params: { type: string }; Body: { schema: JsonSchema; categories?: string[] } }>(
    '/schemas/:type/versions',
    {
      schema: {
        summary:
          'Register a schema as the next version of an event type, checked against its compatibility mode: 201, or 200 with the latest version when the schema equals it and nothing was registered',
        tags: TAGS,
        'x-scope': SCOPES.registerSchema,
        params: typeParams,
        body: registerBodySchema,
        response: { 200: { $ref: 'SchemaVersion#' }, 201: { $ref: 'SchemaVersion#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { type } = request.params;
      const { schema, categories } = request.body;
      await guard.checkChange(request, type, categories);
      const head = await store.headPosition();
      const version = await registry().register(type, schema, categories === undefined ? {} : { categories });
      // a version registered now is recorded after the head read before; an equal one was recorded earlier
      return reply.code(version.position > head ? 201 : 200).send(version);
    },
  );

  app.post<{ Params: { type: string }; Body: { schema: JsonSchema } }>(
    '/schemas/:type/check',
    {
      schema: {
        summary: "What registering a schema would decide under the type's compatibility mode, without registering anything",
        tags: TAGS,
        'x-scope': SCOPES.checkSchema,
        params: typeParams,
        body: checkBodySchema,
        response: { 200: { $ref: 'CompatibilityReport#' }, ...errorResponses },
      },
    },
    async (request) => {
      const { type } = request.params;
      await guard.checkDryRun(request, type);
      return registry().check(type, request.body.schema);
    },
  );

  app.put<{ Params: { type: string }; Body: { compatibility: Compatibility } }>(
    '/schemas/:type/compatibility',
    {
      schema: {
        summary: 'Set the compatibility mode later versions of an event type are checked against (Confluent Schema Registry meanings; default BACKWARD)',
        tags: TAGS,
        'x-scope': SCOPES.changeSchemaType,
        params: typeParams,
        body: compatibilityBodySchema,
        response: noContent,
      },
    },
    async (request, reply) => {
      const { type } = request.params;
      await guard.checkChange(request, type);
      await registry().setCompatibility(type, request.body.compatibility);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { type: string; fromVersion: string }; Body: { rules: UpcastRule[] } }>(
    '/schemas/:type/upcasters/:fromVersion',
    {
      schema: {
        summary: 'Store the declarative rules that upcast data of version fromVersion to fromVersion + 1 (rename, move, default, drop), replacing earlier ones',
        tags: TAGS,
        'x-scope': SCOPES.changeSchemaType,
        params: upcasterParams,
        body: upcasterBodySchema,
        response: noContent,
      },
    },
    async (request, reply) => {
      const { type, fromVersion } = request.params;
      await guard.checkChange(request, type);
      await registry().addUpcaster(type, Number(fromVersion), request.body.rules);
      return reply.code(204).send();
    },
  );

  app.get(
    '/schema-modes',
    {
      schema: {
        summary: 'The validation mode of every category that has one and the token may read (the others are off)',
        tags: TAGS,
        'x-scope': SCOPES.readSchemas,
        response: { 200: modesSchema, ...errorResponses },
      },
    },
    async (request) => ({ modes: (await registry().modes()).filter(({ category }) => guard.mayReadMode(request, category)) }),
  );

  app.put<{ Params: { category: string }; Body: { mode: ValidationMode } }>(
    '/schema-modes/:category',
    {
      schema: {
        summary: "Set how appends to a category are checked against their types' schemas: enforce (refuse the whole append), warn (store and count), off",
        tags: TAGS,
        'x-scope': SCOPES.writeCategory,
        params: categoryParams,
        body: modeBodySchema,
        response: noContent,
      },
    },
    async (request, reply) => {
      const { category } = request.params;
      guard.checkMode(request, category);
      await registry().setMode(category, request.body.mode);
      return reply.code(204).send();
    },
  );
}

function registryOf(store: EventStore): SchemaRegistry {
  if (store.schemas === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `the store at ${store.location} has no schema registry`, { location: store.location });
  }
  return store.schemas;
}
