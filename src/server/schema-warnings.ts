import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../store/event-store.js';
import type { ServerMetrics } from './metrics.js';

/**
 * Counts and logs every event a `warn` category accepted although it broke
 * its schema: `tributary_schema_warnings_total{category,type}` in /metrics
 * and one warn line each, for as long as the app is open.
 */
export function reportSchemaWarnings(app: FastifyInstance, store: EventStore, metrics: ServerMetrics): void {
  const registry = store.schemas;
  if (registry === undefined) return;
  const stop = registry.onWarning((warning) => {
    metrics.schemaWarnings.inc({ category: warning.category, type: warning.type });
    app.log.warn({ schemaWarning: warning }, `event ${warning.index} of ${warning.stream} broke its schema at ${warning.path || '/'} and was stored (warn mode)`);
  });
  app.addHook('onClose', async () => stop());
}
