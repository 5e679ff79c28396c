import type { FastifyInstance } from 'fastify';
import type { EventData } from '../../core/event.js';
import type { AppendCondition } from '../../core/event-query.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import { checkAppendAsLibrary, checkEventLimits, refuseAsLibrary } from '../append-checks.js';
import { refuseClaimedProducer, withProducer } from '../appended-by.js';
import type { ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { SCOPES } from '../route-scopes.js';
import { appendBodySchema, appendResultSchema, errorResponses, pageSchema, streamParams, streamReadQuery } from '../schemas.js';
import { personalView } from '../personal-view.js';
import { pageText } from './page-text.js';

interface AppendBody {
  expectedRevision?: ExpectedRevision;
  events: EventData[];
  condition?: AppendCondition;
}

/** `POST /streams/{stream}` and `GET /streams/{stream}`. */
export function streamRoutes(app: FastifyInstance, store: EventStore, limits: ServerLimits, access: Access, metrics: ServerMetrics): void {
  app.post<{ Params: { stream: string }; Body: AppendBody }>(
    '/streams/:stream',
    {
      // a refused body gets the store's code for it (append-checks.ts)
      attachValidation: true,
      schema: {
        summary: 'Append events to a stream, atomically, under an expected revision and optionally a condition',
        tags: ['streams'],
        'x-scope': SCOPES.appendStream,
        params: streamParams,
        body: appendBodySchema,
        response: { 201: appendResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { stream } = request.params;
      const asLibrary = () => checkAppendAsLibrary(stream, request.body);
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, asLibrary);
      access.check(request, 'write', stream);
      const { events, expectedRevision } = request.body;
      const condition = access.readableCondition(request, request.body.condition);
      try {
        checkEventLimits([{ events }], limits, asLibrary);
        refuseClaimedProducer([{ events }]);
        const result = await store.append(stream, withProducer(events, access.producer(request)), { expectedRevision, condition });
        metrics.appends.inc({ outcome: 'ok' });
        metrics.appendedEvents.inc(events.length);
        return await reply.code(201).send(result);
      } catch (error) {
        metrics.appends.inc({ outcome: (error as { code?: string }).code ?? 'INTERNAL_ERROR' });
        throw error;
      }
    },
  );

  app.get<{ Params: { stream: string }; Querystring: { from?: number; limit?: number; direction?: 'forward' | 'backward'; raw?: boolean; asOf?: string } }>(
    '/streams/:stream',
    {
      schema: {
        summary: "Read a page of a stream's events, as they stand or as of a time or position (a stream with no event by then is STREAM_NOT_FOUND)",
        tags: ['streams'],
        'x-scope': SCOPES.readStream,
        params: streamParams,
        querystring: streamReadQuery(limits.pageSize),
        response: { 200: pageSchema('the `from` of the next page, or null at the end'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { stream } = request.params;
      access.check(request, 'read', stream);
      const page = await personalView(store, access, request).readStream(stream, request.query);
      metrics.readEvents.inc(page.events.length);
      return reply.type('application/json').send(pageText(page));
    },
  );
}
