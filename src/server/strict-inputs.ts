import type { FastifyInstance } from 'fastify';
import { strictBodyParsers } from './body-parsers.js';
import { requestValidatorCompiler } from './request-validation.js';
import { checkStreamParam } from './stream-param.js';

/**
 * One set of input rules for HTTP and the library: bodies read as strict
 * UTF-8 JSON, validated without coercion under the library's error codes,
 * query strings converted only from canonical text, and stream names in paths
 * checked by the store's rule first. Call before any route is added.
 */
export function strictInputs(app: FastifyInstance): void {
  strictBodyParsers(app);
  app.setValidatorCompiler(requestValidatorCompiler(() => app.getSchemas()));
  app.addHook('preValidation', checkStreamParam);
}
