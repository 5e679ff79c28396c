import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { Access } from './access.js';
import { ConsumerAccess } from './consumer-access.js';
import { allowOrigins } from './cors.js';
import { clientWentAway, failureLogLevel } from './failure-log-level.js';
import { errorResponse } from './http-errors.js';
import { DEFAULT_LIMITS, DEFAULT_SSE, type ServerLakeLimits, type ServerLimits, type SseOptions } from './limits.js';
import { requestSerializer } from './log-redaction.js';
import { MemberSessions } from './member-session.js';
import { LiveFeeds } from './live-feeds.js';
import { redactionRoutes } from './routes/redaction.js';
import { ServerMetrics } from './metrics.js';
import { overloadLimits, shedOverload, type OverloadLimits } from './overload.js';
import { ProjectionAccess } from './projection-access.js';
import { requireScopes } from './route-scopes.js';
import { appendManyRoutes } from './routes/append-many.js';
import { BranchAccess } from './branch-access.js';
import { branchLiveRoutes } from './routes/branch-live.js';
import { branchLogRoutes } from './routes/branch-log.js';
import { branchRoutes } from './routes/branches.js';
import { allRoutes } from './routes/all.js';
import { catalogRoutes } from './routes/catalog.js';
import { privacyRoutes } from './routes/privacy.js';
import { consumerStateRoutes } from './routes/consumer-state.js';
import { copyRoutes } from './routes/copy.js';
import { correctionRoutes } from './routes/corrections.js';
import { consumerRoutes } from './routes/consumers.js';
import { lakeRoutes } from './routes/lake.js';
import { memberRoutes } from './routes/members.js';
import { operationRoutes } from './routes/operations.js';
import { projectionAdminRoutes } from './routes/projection-admin.js';
import { projectionRoutes } from './routes/projections.js';
import { schemaRoutes } from './routes/schemas.js';
import { storeAdminRoutes } from './routes/store-admin.js';
import { withPrivacy } from '../privacy/privacy-store.js';
import { streamRoutes } from './routes/streams.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { withSchemas } from '../schemas/schema-store.js';
import { withBranches } from '../time/branches/with-branches.js';
import { errorSchema, eventSchema } from './schemas.js';
import { reportSchemaWarnings } from './schema-warnings.js';
import { SseRegistry } from './sse.js';
import { trackStorageHealth } from './storage-health.js';
import { strictInputs } from './strict-inputs.js';

/** What the HTTP API serves, and how, wherever it is mounted; fastify's own `prefix` goes beside these when it is registered as a plugin. */
export interface TributaryPluginOptions {
  store: EventStore;
  /** Open mode: every request may do everything (loopback development only). Otherwise bearer tokens decide. Default false. */
  open?: boolean;
  limits?: Partial<ServerLimits>;
  sse?: Partial<SseOptions>;
  /** Origins whose browser applications may call the API (CORS); `*` for any. None by default. */
  corsOrigins?: readonly string[];
  /** Limits of `POST /lake/query`: rows, answer bytes, time, DuckDB memory, queries at once. */
  lake?: Partial<ServerLakeLimits>;
  /** When the server refuses new requests with 503 OVERLOADED instead of queueing them: requests in flight, event-loop delay. */
  overload?: Partial<OverloadLimits>;
}

/**
 * Mounts the whole HTTP API of DESIGN.md's contract in `app`, an encapsulated
 * fastify context: its body parsers, validation, authentication, error
 * answers, CORS and OpenAPI document apply to its own routes only. Live
 * streams end when the app starts closing; the store stays open for its owner.
 */
export async function mountApi(app: FastifyInstance, given: TributaryPluginOptions): Promise<void> {
  // the server is every other language's door: a bare backend gets the registry's checks and upcasting too
  const options = { ...given, store: withSchemas(withPrivacy(withBranches(given.store))) };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sse = { ...DEFAULT_SSE, ...options.sse };
  // per route, not per server: the app that mounts the API keeps its own body limit and log serializers
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= limits.bodyBytes;
    route.logSerializers = { ...route.logSerializers, req: requestSerializer };
  });
  strictInputs(app);
  const registry = new SseRegistry();
  app.addHook('preClose', async () => registry.closeAll());
  const feeds = new LiveFeeds();
  const metrics = new ServerMetrics(options.store, registry, feeds);
  reportSchemaWarnings(app, options.store, metrics);
  const access = new Access(options.store.tokens, options.open ?? false);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tributary',
        version: '1',
        description:
          'Append, read and follow events over HTTP. Errors are {"error": {"code", "message", ...details}}. ' +
          'The registered event schemas are an OpenAPI 3.1 document of their own at schemas/openapi.json, beside this one.',
      },
      externalDocs: { description: 'The registered event schemas, one component per version of each event type, for code generators', url: 'schemas/openapi.json' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'trb_… tokens from `tributary tokens create`' } },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await allowOrigins(app, options.corsOrigins ?? []);
  // before authentication: a refusal must cost less than the work it avoids
  shedOverload(app, overloadLimits(options.overload));
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
  appendManyRoutes(app, options.store, limits, access, metrics);
  allRoutes(app, options.store, limits, access, metrics);
  subscriptionRoutes(app, options.store, sse, { registry, feeds }, access);
  storeAdminRoutes(app, options.store, access);
  redactionRoutes(app, options.store, access, feeds);
  const consumers = new ConsumerAccess(options.store, access);
  consumerRoutes(app, options.store, consumers);
  const projections = new ProjectionAccess(options.store, access);
  projectionRoutes(app, options.store, projections);
  projectionAdminRoutes(app, options.store, access, projections);
  lakeRoutes(app, options.store, projections, options.lake);
  consumerStateRoutes(app, options.store, access, consumers);
  memberRoutes(app, options.store, sse, registry, new MemberSessions(), access, consumers);
  copyRoutes(app, options.store, access);
  schemaRoutes(app, options.store, access);
  catalogRoutes(app, options.store, access);
  privacyRoutes(app, options.store, access);
  operationRoutes(app, options.store, metrics, access, trackStorageHealth(app));
  branchRoutes(app, options.store, new BranchAccess(access));
  branchLogRoutes(app, options.store, limits, access);
  branchLiveRoutes(app, options.store, sse, { registry, feeds }, access);
  correctionRoutes(app, options.store, access);
}

/** The answer to a URL no route of the API serves, in the contract's error shape. */
export async function answerRouteNotFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { status, body } = errorResponse(
    new TributaryError('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`, { method: request.method }),
  );
  return reply.code(status).send(body);
}
