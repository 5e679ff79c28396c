import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { answerRouteNotFound, mountApi, type TributaryPluginOptions } from './api.js';
import { answerClientError } from './client-errors.js';
import { closeGracefully } from './graceful-close.js';
import { errorResponse } from './http-errors.js';
import { redactingLogger } from './log-redaction.js';

export interface ServerOptions extends TributaryPluginOptions {
  /** Open mode: every request may do everything (loopback development). Otherwise bearer tokens decide. */
  open: boolean;
  /** Fastify's logger (pino) options; false for none. */
  logger?: FastifyServerOptions['logger'];
}

/**
 * The HTTP server of DESIGN.md's contract on one store, not yet listening:
 * `await app.listen({ host, port })`, or `app.inject(...)` in tests. Closing
 * it ends live subscriptions; the store stays open for its owner to close.
 * To serve the API from an application of your own, register `tributaryPlugin` instead.
 *
 * ```ts
 * const app = await buildServer({ store, open: true });
 * await app.listen({ host: '127.0.0.1', port: 2113 });
 * ```
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: redactingLogger(options.logger),
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
  closeGracefully(app);
  await app.register(async (api) => {
    await mountApi(api, options);
    // the whole server is the API: every unknown URL answers in its shape, through its hooks (CORS, authentication)
    api.setNotFoundHandler(answerRouteNotFound);
  });
  return app;
}
