import type { FastifyPluginAsync } from 'fastify';
import { answerRouteNotFound, mountApi, type TributaryPluginOptions } from './api.js';

/**
 * The HTTP API as a fastify plugin, for an application that serves routes of
 * its own: registered in its own context, its body parsers, validation,
 * authentication and error answers apply to Tributary's routes only. Under a
 * `prefix`, unknown URLs below it answer ROUTE_NOT_FOUND in the API's shape;
 * without one, the application's not-found handler stays in charge.
 *
 * ```ts
 * const app = Fastify({ routerOptions: { maxParamLength: 4096 } });
 * await app.register(tributaryPlugin, { store, prefix: '/events' });
 * ```
 */
export const tributaryPlugin: FastifyPluginAsync<TributaryPluginOptions> = async (app, options) => {
  await mountApi(app, options);
  if (app.prefix !== '') app.setNotFoundHandler(answerRouteNotFound);
};
