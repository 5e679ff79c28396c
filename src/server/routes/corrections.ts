import type { FastifyInstance, FastifyRequest } from 'fastify';
import { APPENDED_BY_KEY } from '../../core/appended-by.js';
import type { EventMetadata, RecordedEvent } from '../../core/event.js';
import { categoryOf } from '../../core/stream-name.js';
import type { EventStore } from '../../store/event-store.js';
import { eventNotFound } from '../../store/event-lookup.js';
import { MAX_PAGE_SIZE } from '../../store/options.js';
import { findEvent, lookupOf } from '../../time/corrections/find-event.js';
import { DEFAULT_HISTORY_LIMIT, categoryShowing, history, withCausation } from '../../time/corrections/history.js';
import { checkReverseOptions, invalidCorrection, reverse, type ReverseOptions } from '../../time/corrections/reverse.js';
import type { Access } from '../access.js';
import { ERROR_CODE } from '../request-validation.js';
import { personalEvents } from '../personal-view.js';
import { SCOPES } from '../route-scopes.js';
import { appendResultSchema, errorResponses, pageSchema } from '../schemas.js';

const eventIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, description: 'the event id (a UUID)' } },
} as const;

const reverseBodySchema = {
  type: 'object',
  required: ['reason'],
  [ERROR_CODE]: 'INVALID_CORRECTION',
  properties: {
    reason: { type: 'string', minLength: 1, description: 'why the original was wrong: at most 1,000 characters, not blank' },
    type: { type: 'string', minLength: 1, description: 'the reversing event type; default <original type>Reversed' },
    data: { description: 'the reversing event data; default {reversedEventId, reversedType, reversedRevision, reason}' },
    metadata: { type: 'object', additionalProperties: true, description: 'more metadata; the reversal links win over keys of the same name' },
    id: { type: 'string', description: 'the reversing event id, for an idempotent retry' },
    expectedRevision: {
      anyOf: [{ type: 'string', enum: ['any', 'no_stream', 'stream_exists'] }, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }],
      description: "the original stream's expected revision; default 'any'",
    },
  },
  additionalProperties: false,
} as const;

const historyEntrySchema = {
  type: 'object',
  required: ['event', 'appendedBy', 'recordedAt', 'matched', 'kind', 'parent', 'depth'],
  properties: {
    event: { $ref: 'Event#' },
    appendedBy: { type: ['string', 'null'], description: 'the name of the token that appended it; null for a library append' },
    recordedAt: { type: 'string', format: 'date-time' },
    matched: { type: 'string', enum: ['stream', 'event', 'correlation', 'subject', 'audit'] },
    kind: { type: 'string', enum: ['event', 'reversal', 'redacted', 'redaction', 'forget'] },
    reverses: { type: 'string', description: 'for a reversal, the id of the event it reverses' },
    parent: { type: ['string', 'null'], description: 'the id of the event that caused it, when that event is in this answer' },
    depth: { type: 'integer', minimum: 0 },
  },
} as const;

const historySchema = {
  type: 'object',
  required: ['entries', 'truncated', 'next'],
  properties: {
    entries: { type: 'array', items: historyEntrySchema },
    truncated: { type: 'boolean' },
    next: { type: ['integer', 'null'], description: 'the `after` of the next page, or null' },
  },
} as const;

const pageQuery = (defaultLimit: number) =>
  ({
    type: 'object',
    properties: {
      after: { type: 'integer', minimum: 0, default: 0, description: 'entries after this position' },
      limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: defaultLimit },
    },
    additionalProperties: false,
  }) as const;

interface ReverseBody {
  reason: string;
  type?: string;
  data?: unknown;
  metadata?: EventMetadata;
  id?: string;
  expectedRevision?: ReverseOptions['expectedRevision'];
}

/** `GET /events/{id}`, `POST /events/{id}/reverse`, `GET /correlations/{id}` and `GET /history/{id}`. */
export function correctionRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  /** The event, for a token that may read its category; EVENT_NOT_FOUND otherwise, so no token learns of events it may not read. */
  const readableEvent = async (request: FastifyRequest, id: string): Promise<RecordedEvent> => {
    const event = await findEvent(store, id);
    if (!access.mayRead(request, [categoryOf(event.stream)])) throw eventNotFound(id);
    return (await personalEvents(store, access, request, [event]))[0]!;
  };

  app.get<{ Params: { id: string } }>(
    '/events/:id',
    {
      schema: {
        summary: 'Read one event by its id (404 EVENT_NOT_FOUND also for an event of a category the token may not read)',
        tags: ['corrections'],
        'x-scope': SCOPES.readEvent,
        params: eventIdParams,
        response: { 200: { $ref: 'Event#' }, ...errorResponses },
      },
    },
    async (request, reply) => reply.type('application/json').send((await readableEvent(request, request.params.id)).toJsonText()),
  );

  app.post<{ Params: { id: string }; Body: ReverseBody }>(
    '/events/:id/reverse',
    {
      attachValidation: true,
      schema: {
        summary: "Append a reversing event to the original's stream, linked to it by causationId and reverses",
        tags: ['corrections'],
        'x-scope': SCOPES.reverseEvent,
        params: eventIdParams,
        body: reverseBodySchema,
        response: { 201: { ...appendResultSchema, required: [...appendResultSchema.required, 'id'], properties: { ...appendResultSchema.properties, id: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const original = await readableEvent(request, request.params.id);
      access.checkWrite(request, [categoryOf(original.stream)], `reversing an event of stream ${JSON.stringify(original.stream)}`);
      if (request.validationError !== undefined) {
        checkReverseOptions(request.body);
        throw request.validationError;
      }
      const options = checkReverseOptions(request.body);
      if (options.metadata !== undefined && Object.hasOwn(options.metadata, APPENDED_BY_KEY)) {
        throw invalidCorrection(`metadata.${APPENDED_BY_KEY} is set by the server to the appending token's name`, { field: 'metadata' });
      }
      const producer = access.producer(request);
      const metadata = producer === undefined ? options.metadata : { ...options.metadata, [APPENDED_BY_KEY]: producer };
      const result = await reverse(store, original.id, { ...options, ...(metadata === undefined ? {} : { metadata }) });
      return reply.code(201).send(result);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after: number; limit: number } }>(
    '/correlations/:id',
    {
      schema: {
        summary: 'Read the events carrying a correlation id, in position order (events of categories the token may not read are left out)',
        tags: ['corrections'],
        'x-scope': SCOPES.readCorrelation,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
        querystring: pageQuery(100),
        response: { 200: pageSchema('the `after` of the next page, or null at the end'), ...errorResponses },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const events = await lookupOf(store).correlated(request.params.id, { after, limit });
      const next = events.length === limit ? events[events.length - 1]!.position : null;
      const readable = events.filter((event) => access.mayRead(request, [categoryOf(event.stream)]));
      return { events: (await personalEvents(store, access, request, readable)).map((event) => event.toJSON()), next };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after: number; limit: number } }>(
    '/history/:id',
    {
      schema: {
        summary: 'The history of a record (a stream, correlation id, subject or event id): every event that touched it, in position order, with its causation tree',
        tags: ['corrections'],
        'x-scope': SCOPES.readHistory,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
        querystring: pageQuery(DEFAULT_HISTORY_LIMIT),
        response: { 200: historySchema, ...errorResponses },
      },
    },
    async (request) => {
      // any id may name a stream, a correlation and a subject at once: each event is shown or left out by its own category;
      // nothing says how many were left out, which would tell another team that its record exists
      const found = await history(store, request.params.id, request.query);
      const readable = found.entries.filter((entry) => access.mayRead(request, [categoryShowing(entry)]));
      const events = await personalEvents(store, access, request, readable.map((entry) => entry.event));
      const shown = readable.map((entry, i) => ({ ...entry, event: events[i]! }));
      return { entries: withCausation(shown), truncated: found.truncated, next: found.next };
    },
  );
}
