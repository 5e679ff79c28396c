import type { FastifyInstance } from 'fastify';
import type { AppendCondition } from '../../core/event-query.js';
import type { StreamAppend } from '../../core/stream-appends.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import { checkAppendManyAsLibrary, checkEventLimits, refuseAsLibrary } from '../append-checks.js';
import { refuseClaimedProducer, withProducer } from '../appended-by.js';
import type { ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { SCOPES } from '../route-scopes.js';
import { appendManyBodySchema, appendManyResultSchema, errorResponses } from '../schemas.js';

interface AppendManyBody {
  appends: StreamAppend[];
  condition?: AppendCondition;
}

/** `POST /streams`: several streams appended at once, all or nothing. */
export function appendManyRoutes(app: FastifyInstance, store: EventStore, limits: ServerLimits, access: Access, metrics: ServerMetrics): void {
  app.post<{ Body: AppendManyBody }>(
    '/streams',
    {
      // a refused body gets the store's code for it (append-checks.ts)
      attachValidation: true,
      schema: {
        summary: 'Append to several streams atomically: every stream under its expected revision, optionally under one condition',
        tags: ['streams'],
        'x-scope': SCOPES.writeStreams,
        body: appendManyBodySchema,
        response: { 201: appendManyResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const asLibrary = () => checkAppendManyAsLibrary(request.body);
      if (request.validationError !== undefined) refuseAsLibrary(request.validationError, asLibrary);
      const { appends } = request.body;
      // every stream is checked before anything is written: one refusal refuses the whole call
      for (const { stream } of appends) access.check(request, 'write', stream);
      const condition = access.readableCondition(request, request.body.condition);
      try {
        const parts = appends.map(({ events }, append) => ({ events, append }));
        checkEventLimits(parts, limits, asLibrary);
        refuseClaimedProducer(parts);
        const producer = access.producer(request);
        const stamped = appends.map((part) => ({ ...part, events: withProducer(part.events, producer) }));
        const result = await store.appendMany(stamped, { condition });
        metrics.appends.inc({ outcome: 'ok' });
        metrics.appendedEvents.inc(appends.reduce((total, { events }) => total + events.length, 0));
        return await reply.code(201).send(result);
      } catch (error) {
        metrics.appends.inc({ outcome: (error as { code?: string }).code ?? 'INTERNAL_ERROR' });
        throw error;
      }
    },
  );
}
