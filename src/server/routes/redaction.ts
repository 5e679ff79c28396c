import type { FastifyInstance } from 'fastify';
import { categoryOf } from '../../core/stream-name.js';
import type { EventStore } from '../../store/event-store.js';
import { eventNotFound } from '../../store/event-lookup.js';
import { redact } from '../../time/corrections/redact.js';
import { MAX_REASON_LENGTH } from '../../store/audit.js';
import type { Access } from '../access.js';
import type { LiveFeeds } from '../live-feeds.js';
import { ERROR_CODE } from '../request-validation.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

const markerSchema = {
  type: 'object',
  required: ['redacted', 'reason', 'at', 'by'],
  properties: {
    redacted: { type: 'boolean', enum: [true] },
    reason: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    by: { type: ['string', 'null'], description: "the name of the token that asked; null in open mode" },
  },
} as const;

/** `POST /events/{id}/redact`: the event's data and metadata become a marker (docs/corrections.md). */
export function redactionRoutes(app: FastifyInstance, store: EventStore, access: Access, feeds: LiveFeeds): void {
  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/events/:id/redact',
    {
      schema: {
        summary: "Redact an event: its data and metadata become {redacted, reason, at, by}; its id, type, stream, revision and position stay. Idempotent: a second call answers the first marker",
        tags: ['corrections'],
        'x-scope': SCOPES.redactEvent,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'the event id (a UUID)' } } },
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: { reason: { type: 'string', minLength: 1, maxLength: MAX_REASON_LENGTH, description: 'why the event must go; recorded in the marker and the audit event' } },
          [ERROR_CODE]: 'INVALID_CORRECTION',
        },
        response: {
          200: {
            type: 'object',
            required: ['event', 'marker', 'alreadyRedacted'],
            properties: { event: { $ref: 'Event#' }, marker: markerSchema, alreadyRedacted: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const outcome = await redact(store, id, {
        reason: request.body.reason,
        by: access.producer(request) ?? null,
        authorize: ({ stream }) => {
          // a token that may not read the category learns nothing of the event, not even that it exists
          if (!access.mayRead(request, [categoryOf(stream)])) throw eventNotFound(id);
          access.check(request, 'write', stream);
        },
      });
      // subscribers joining the server's live feeds from before the event get the marker, not the bytes kept in memory
      feeds.replace(outcome.event.position, outcome.event.toJsonText());
      return { event: outcome.event.toJSON(), marker: outcome.marker, alreadyRedacted: outcome.alreadyRedacted };
    },
  );
}
