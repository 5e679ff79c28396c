/** `tributary/server`: the HTTP API, as a server of its own or as a fastify plugin. Importing it loads fastify. */
export { buildServer, type ServerOptions } from '../server/server.js';
export { tributaryPlugin } from '../server/plugin.js';
export type { TributaryPluginOptions } from '../server/api.js';
export type { OverloadLimits } from '../server/overload.js';
export { DEFAULT_LIMITS, DEFAULT_SSE, type ServerLimits, type ServerLakeLimits, type SseOptions } from '../server/limits.js';
