import type { FastifyInstance } from 'fastify';
import type { AsOf } from '../../core/as-of.js';
import { branchUnsupported, type Branches } from '../../store/branches.js';
import type { EventStore } from '../../store/event-store.js';
import type { BranchAccess } from '../branch-access.js';
import { ERROR_CODE } from '../request-validation.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

const branchInfoSchema = {
  type: 'object',
  required: ['name', 'forkPosition', 'createdAt', 'createdBy', 'events', 'categories'],
  properties: {
    name: { type: 'string' },
    forkPosition: { type: 'integer', description: 'the last real position the branch sees; its own events are at forkPosition + 1 on' },
    createdAt: { type: 'integer', description: 'ms since the epoch' },
    createdBy: { type: ['string', 'null'], description: 'the name of the token that created it; null in open mode' },
    events: { type: 'integer', description: "how many events the branch holds of its own" },
    categories: { type: 'array', items: { type: 'string' }, description: "the categories of the branch's own events" },
  },
} as const;

export const branchParams = {
  type: 'object',
  required: ['name'],
  // the library's rules (INVALID_BRANCH_NAME) decide, so HTTP and the library agree
  properties: { name: { type: 'string', description: '1 to 64 characters of a-z, 0-9, _ and -' } },
} as const;

/** The branches of the served store; BRANCH_UNSUPPORTED when it has none (it keeps no tables of its own). */
export function branchesOf(store: EventStore): Branches {
  if (store.branches === undefined) throw branchUnsupported('*', 'a branch', 'needs a store with tables of its own');
  return store.branches;
}

/** `POST /branches`, `GET /branches`, `GET /branches/{name}`, `DELETE /branches/{name}`. */
export function branchRoutes(app: FastifyInstance, store: EventStore, access: BranchAccess): void {
  app.post<{ Body: { name: string; at?: AsOf } }>(
    '/branches',
    {
      schema: {
        summary: 'Fork a what-if branch of the log at a position or time (default the head)',
        tags: ['branches'],
        'x-scope': SCOPES.createBranch,
        body: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string', description: '1 to 64 characters of a-z, 0-9, _ and -', [ERROR_CODE]: 'INVALID_BRANCH_NAME' },
            at: { anyOf: [{ type: 'integer' }, { type: 'string' }], [ERROR_CODE]: 'INVALID_AS_OF', description: 'a position from 0 up to the head, or an ISO 8601 time (the last position recorded at or before it)' },
          },
          additionalProperties: false,
        },
        response: { 201: branchInfoSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      access.checkCreate(request);
      const { name, at } = request.body;
      const info = await branchesOf(store).create(name, { at, createdBy: access.creator(request) });
      return reply.code(201).send(info);
    },
  );

  app.get(
    '/branches',
    {
      schema: {
        summary: 'The branches this token may see, by name',
        tags: ['branches'],
        'x-scope': SCOPES.listBranches,
        response: { 200: { type: 'object', required: ['branches'], properties: { branches: { type: 'array', items: branchInfoSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ branches: (await branchesOf(store).list()).filter((branch) => access.maySee(request, branch)) }),
  );

  app.get<{ Params: { name: string } }>(
    '/branches/:name',
    { schema: { summary: 'One branch', tags: ['branches'], 'x-scope': SCOPES.readBranch, params: branchParams, response: { 200: branchInfoSchema, ...errorResponses } } },
    async (request) => {
      const info = await branchesOf(store).describe(request.params.name);
      access.checkSee(request, info);
      return info;
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/branches/:name',
    { schema: { summary: 'Delete a branch and every event of it', tags: ['branches'], 'x-scope': SCOPES.deleteBranch, params: branchParams, response: { 204: { type: 'null' }, ...errorResponses } } },
    async (request, reply) => {
      const branches = branchesOf(store);
      access.checkDelete(request, await branches.describe(request.params.name));
      await branches.delete(request.params.name);
      return reply.code(204).send();
    },
  );
}
