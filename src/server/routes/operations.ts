import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../../store/event-store.js';
import type { ServerMetrics } from '../metrics.js';
import type { Access } from '../access.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';
import type { StorageHealth } from '../storage-health.js';

/**
 * `GET /health` and `GET /openapi.json`, open to every caller like a load
 * balancer; `GET /metrics`, which names every consumer and its lag, for a token that reads everything.
 */
export function operationRoutes(app: FastifyInstance, store: EventStore, metrics: ServerMetrics, access: Access, health: StorageHealth): void {
  app.get(
    '/health',
    {
      config: { public: true, alwaysServed: true },
      schema: {
        summary: 'Ready while the store answers; degraded (still 200) while appends fail for lack of storage; 503 when the store does not answer',
        tags: ['operations'],
        'x-scope': SCOPES.none,
        security: [],
        response: {
          200: {
            type: 'object',
            required: ['status', 'head'],
            properties: {
              status: { type: 'string', enum: ['ready', 'degraded'] },
              head: { type: 'integer' },
              reason: { type: 'string', description: 'degraded only: what fails, such as disk full, I/O error or out of memory' },
              since: { type: 'string', format: 'date-time', description: 'degraded only: when writes began to fail for this reason' },
            },
          },
          503: {
            type: 'object',
            required: ['status', 'error'],
            properties: { status: { type: 'string', enum: ['unavailable'] }, error: { type: 'object', additionalProperties: true } },
          },
        },
      },
    },
    async (_request, reply) => {
      try {
        const head = await store.headPosition();
        // the store answers reads; whether it can still write is what the server's own writes have shown
        const failure = health.failure;
        return failure === undefined ? { status: 'ready', head } : { status: 'degraded', reason: failure.reason, since: failure.since, head };
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        return reply.code(503).send({ status: 'unavailable', error: { code: code ?? 'INTERNAL_ERROR', message: message ?? String(error) } });
      }
    },
  );

  app.get(
    '/metrics',
    {
      config: { alwaysServed: true },
      schema: {
        summary: 'Prometheus metrics: appends, reads, HTTP latency, live subscribers, lag of every consumer (scrape with a read:* token)',
        tags: ['operations'],
        'x-scope': SCOPES.readEverything,
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      access.checkReadAll(request);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );

  app.get(
    '/openapi.json',
    { config: { public: true, alwaysServed: true }, schema: { hide: true } },
    async () => app.swagger(),
  );
}
