import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { Access } from './access.js';
import { ConsumerAccess } from './consumer-access.js';
import { redactingLogger } from './log-redaction.js';
import { allowOrigins } from './cors.js';
import { clientWentAway, failureLogLevel } from './failure-log-level.js';
import { ProjectionAccess } from './projection-access.js';
import { answerClientError } from './client-errors.js';
import { closeGracefully } from './graceful-close.js';
import { MemberSessions } from './member-session.js';
import { errorResponse } from './http-errors.js';
import { DEFAULT_LIMITS, DEFAULT_SSE, type ServerLakeLimits, type ServerLimits, type SseOptions } from './limits.js';
import { ServerMetrics } from './metrics.js';
import { allRoutes } from './routes/all.js';
import { consumerStateRoutes } from './routes/consumer-state.js';
import { consumerRoutes } from './routes/consumers.js';
import { lakeRoutes } from './routes/lake.js';
import { projectionAdminRoutes } from './routes/projection-admin.js';
import { projectionRoutes } from './routes/projections.js';
import { memberRoutes } from './routes/members.js';
import { operationRoutes } from './routes/operations.js';
import { storeAdminRoutes } from './routes/store-admin.js';
import { streamRoutes } from './routes/streams.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { requireScopes } from './route-scopes.js';
import { errorSchema, eventSchema } from './schemas.js';
import { sharedReads } from './shared-reads.js';
import { SseRegistry } from './sse.js';
import { trackStorageHealth } from './storage-health.js';
import { strictInputs } from './strict-inputs.js';

export interface ServerOptions {
  store: EventStore;
  /** Open mode: every request may do everything (loopback development). Otherwise bearer tokens decide. */
  open: boolean;
  limits?: Partial<ServerLimits>;
  sse?: Partial<SseOptions>;
  /** Origins whose browser applications may call the API (CORS); `*` for any. None by default. */
  corsOrigins?: readonly string[];
  /** Limits of `POST /lake/query`: rows, answer bytes, time, DuckDB memory, queries at once. */
  lake?: Partial<ServerLakeLimits>;
  /** Fastify's logger (pino) options; false for none. */
  logger?: FastifyServerOptions['logger'];
}

/**
 * The HTTP server of DESIGN.md's contract on one store, not yet listening:
 * `await app.listen({ host, port })`, or `app.inject(...)` in tests. Closing
 * it ends live subscriptions; the store stays open for its owner to close.
 *
 * ```ts
 * const app = await buildServer({ store, open: true });
 * await app.listen({ host: '127.0.0.1', port: 2113 });
 * ```
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sse = { ...DEFAULT_SSE, ...options.sse };
  const app = Fastify({
    logger: redactingLogger(options.logger),
    bodyLimit: limits.bodyBytes,
    // idle keep-alive sockets must not hold a closing server open
    forceCloseConnections: 'idle',
    // a stream name may be 256 characters, several times that once percent-encoded; longer ones get INVALID_STREAM_NAME, not a router error
    routerOptions: { maxParamLength: 4096 },
    // errors the router raises before any route runs (a malformed URL) answer in the contract's shape too
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = errorResponse(error);
      void (reply as FastifyReply).code(status).send(body);
    },
    // event data is opaque JSON, stored as text and never merged into objects: a "__proto__" key is data like any other
    onProtoPoisoning: 'ignore',
    // what Node's HTTP parser refuses answers in the contract's shape too
    clientErrorHandler: answerClientError,
  });
  strictInputs(app);
  const registry = new SseRegistry();
  const metrics = new ServerMetrics(options.store, registry);
  const access = new Access(options.store.tokens, options.open);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Tributary', version: '1', description: 'Append, read and follow events over HTTP. Errors are {"error": {"code", "message", ...details}}.' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'trb_… tokens from `tributary tokens create`' } },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await allowOrigins(app, options.corsOrigins ?? []);
  app.addSchema(eventSchema);
  app.addSchema(errorSchema);

  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.setErrorHandler(async (error, request, reply) => {
    const { status, body } = errorResponse(error);
    const level = failureLogLevel(error, status, request);
    if (level !== undefined) request.log[level]({ err: error }, clientWentAway(request) ? 'client went away' : 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const { status, body } = errorResponse(
      new TributaryError('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`, { method: request.method }),
    );
    return reply.code(status).send(body);
  });
  closeGracefully(app, registry);
  // a callback hook that settles at once when no database look-up is needed: it runs on every request
  app.addHook('onRequest', (request, _reply, done) => {
    let pending: Promise<void> | void;
    try {
      pending = access.authenticate(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (pending === undefined) done();
    else pending.then(() => done(), done);
  });

  requireScopes(app);
  streamRoutes(app, options.store, limits, access, metrics);
  allRoutes(app, options.store, limits, access, metrics);
  subscriptionRoutes(app, sharedReads(options.store), sse, registry, access);
  storeAdminRoutes(app, options.store, access);
  const consumers = new ConsumerAccess(options.store, access);
  consumerRoutes(app, options.store, consumers);
  const projections = new ProjectionAccess(options.store, access);
  projectionRoutes(app, options.store, projections);
  projectionAdminRoutes(app, options.store, access, projections);
  lakeRoutes(app, options.store, projections, options.lake);
  consumerStateRoutes(app, options.store, access, consumers);
  memberRoutes(app, options.store, sse, registry, new MemberSessions(), access, consumers);
  operationRoutes(app, options.store, metrics, access, trackStorageHealth(app));
  return app;
}
