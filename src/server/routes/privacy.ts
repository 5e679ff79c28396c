import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import { checkPersonalFields } from '../../privacy/personal-fields.js';
import type { EventStore } from '../../store/event-store.js';
import type { PersonalData, PersonalFields } from '../../store/personal-data.js';
import type { Access } from '../access.js';
import { refuseAsLibrary } from '../append-checks.js';
import { categoryParams } from '../registry-http-schemas.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

const TAGS = ['personal data'];
const path = { type: 'string', description: 'a dot-separated path into the event, starting with data.' } as const;
const declarationSchema = {
  type: 'object',
  required: ['category', 'subject', 'fields', 'declaredAt'],
  properties: { category: { type: 'string' }, subject: path, fields: { type: 'array', items: path }, declaredAt: { type: 'string', format: 'date-time' } },
} as const;
const declareBodySchema = {
  type: 'object',
  required: ['subject', 'fields'],
  properties: { subject: path, fields: { type: 'array', items: path, minItems: 1, maxItems: 32 } },
  additionalProperties: false,
} as const;
const forgetBodySchema = {
  type: 'object',
  required: ['subject'],
  properties: { subject: { type: 'string', minLength: 1, maxLength: 1024 }, reason: { type: 'string', maxLength: 1000 } },
  additionalProperties: false,
} as const;

/**
 * `PUT /privacy/{category}` declares a category's personal fields, `GET
 * /privacy/{category}` and `GET /privacy` show declarations, and `POST
 * /privacy/forget` forgets a subject (crypto-shredding) with an audit event.
 */
export function privacyRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  app.put<{ Params: { category: string }; Body: PersonalFields }>(
    '/privacy/:category',
    {
      // a refused body gets the library's code for it: INVALID_PERSONAL_FIELDS
      attachValidation: true,
      schema: {
        summary: "Declare a category's personal fields: their values are encrypted per subject on append; paths no sampled event has are accepted and listed in unusedPaths",
        tags: TAGS,
        'x-scope': SCOPES.writeCategory,
        params: categoryParams,
        body: declareBodySchema,
        response: {
          200: { ...declarationSchema, properties: { ...declarationSchema.properties, unusedPaths: { type: 'array', items: path }, sampled: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { category } = request.params;
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, () => checkPersonalFields(category, request.body));
      access.checkWrite(request, [category], `the personal fields of category ${JSON.stringify(category)}`);
      return privacyOf(store).declare(category, request.body);
    },
  );

  app.get<{ Params: { category: string } }>(
    '/privacy/:category',
    {
      schema: {
        summary: "A category's personal-field declaration, or null when it has none",
        tags: TAGS,
        'x-scope': SCOPES.readCategory,
        params: categoryParams,
        response: { 200: { type: 'object', required: ['declaration'], properties: { declaration: { ...declarationSchema, nullable: true } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { category } = request.params;
      access.checkRead(request, [category], `the personal fields of category ${JSON.stringify(category)}`);
      return { declaration: (await privacyOf(store).get(category)) ?? null };
    },
  );

  app.get(
    '/privacy',
    {
      schema: {
        summary: 'The personal-field declarations of the categories the token may read',
        tags: TAGS,
        'x-scope': SCOPES.listPrivacy,
        response: { 200: { type: 'object', required: ['declarations'], properties: { declarations: { type: 'array', items: declarationSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ declarations: (await privacyOf(store).list()).filter(({ category }) => access.mayRead(request, [category])) }),
  );

  app.post<{ Body: { subject: string; reason?: string } }>(
    '/privacy/forget',
    {
      attachValidation: true,
      schema: {
        summary: "Forget a subject: delete its key, so its personal values read as {\"$personal\":\"forgotten\"} everywhere; outcome NO_KEY when it had none. Appends a SubjectForgotten audit event either way",
        tags: TAGS,
        'x-scope': SCOPES.forgetSubject,
        body: forgetBodySchema,
        response: {
          200: {
            type: 'object',
            required: ['subject', 'outcome', 'at', 'position'],
            properties: {
              subject: { type: 'string' },
              outcome: { type: 'string', enum: ['FORGOTTEN', 'NO_KEY'] },
              reason: { type: 'string', nullable: true },
              at: { type: 'string', format: 'date-time' },
              by: { type: 'string', nullable: true },
              position: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const body = request.body as unknown;
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, () => checkForgetBody(body));
      const privacy = privacyOf(store);
      if (!access.isAdmin(request)) {
        const declared = (await privacy.list()).map(({ category }) => category);
        // a subject's data may be in any declared category: forgetting it is for whoever may write them all
        if (declared.length === 0) access.checkAdmin(request);
        if (!access.mayWrite(request, declared)) throw forgetForbidden(declared.filter((category) => access.mayRead(request, [category])));
      }
      const { subject, reason } = request.body;
      return privacy.forget(subject, { reason, by: access.producer(request) });
    },
  );
}

/** FORBIDDEN for a forget, naming only the declared categories the token may read: the others' declarations are not its to learn. */
function forgetForbidden(readable: readonly string[]): TributaryError {
  const among = readable.length === 0 ? '' : ` (among them ${readable.map((category) => `write:${category}`).join(', ')})`;
  return new TributaryError('FORBIDDEN', `forgetting a subject needs admin, or write on every category that declares personal fields${among}`, {
    action: 'write',
    categories: readable,
  });
}

/** The checks `privacy.forget` makes, on a body as received. */
function checkForgetBody(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TributaryError('INVALID_ARGUMENT', 'the body must be an object { subject, reason? }');
  }
  const { subject } = body as Record<string, unknown>;
  if (typeof subject !== 'string' || subject === '') throw new TributaryError('INVALID_ARGUMENT', 'a subject to forget must be a non-empty string', {});
}

function privacyOf(store: EventStore): PersonalData {
  if (store.privacy === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `the store at ${store.location} keeps no personal data`, { location: store.location });
  }
  return store.privacy;
}
