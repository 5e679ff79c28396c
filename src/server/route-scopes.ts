import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifySchema {
    /** What a request needs to be allowed, shown in `/openapi.json` as the operation's `x-scope`. */
    'x-scope'?: string;
  }
}

/** The scope each route needs, in the words `/openapi.json` shows (`x-scope` on every operation). */
export const SCOPES = {
  none: 'none: open to every caller',
  token: 'any valid token',
  readStream: 'read:<category of the stream> (write:<category> includes it)',
  writeStream: 'write:<category of the stream>',
  appendStream: "write:<category of the stream>; a condition counts only events of the categories the token may read",
  writeStreams: "write:<category of every stream>, one refusal refuses the whole call; a condition counts only events of the categories the token may read",
  readQuery: "read:<each category asked for>; with none, only the token's own categories are read",
  readFilter: "read:<each category asked for>; with no category, only the token's own categories are read",
  readEverything: 'read:* (write:* and admin include it)',
  listStreams: 'read:<category> with ?category=, else read:*',
  readConsumer: "read:<each category of the consumer's stored filter> (read:* when it reads them all)",
  changeConsumer: "read:<each category of the consumer's stored filter>; admin for a projection's consumers",
  registerConsumer: "read:<each category of the filter>; a projection's consumers are refused",
  readProjection: 'read:<each category the projection reads> (read:* when it reads them all)',
  readLakes: 'any valid token: each lake projection is a view only for a token that may read every category it reads',
  readSchemas: "any valid token: only the event types whose categories it may read, and the modes of those categories",
  readSchemaType: "read:<each category of the event type> (read:* when it records none)",
  checkSchema: "read:<each category of the event type> (read:* when it records none); any valid token for a type not registered yet",
  registerSchema: "write:<each category of the event type and each category named>; a new type: write:<each category named>, at least one; admin for a type that records none",
  changeSchemaType: "write:<each category of the event type>; admin when it records none",
  writeCategory: 'write:<category> (admin includes it)',
  readCatalog: 'any valid token: the types, consumers and projections of the categories it may read (a type registered with a category it may not read is left out)',
  createBranch: 'a token with at least one write:<category> scope, or admin',
  listBranches: "any valid token: only the branches it may see (admin, the token that created the branch, or a token that may read every category the branch's events touch)",
  readBranch: "admin, the token that created the branch, or read:<each category the branch's events touch>",
  deleteBranch: "write:<each category the branch's events touch>; admin always; the token that created it while it touches none",
  readCategory: 'read:<category> (write:<category> and personal:<category> include it)',
  listPrivacy: 'any valid token: only the declarations of the categories it may read',
  forgetSubject: 'admin, or write:<every category that declares personal fields>',
  redactEvent: "write:<category of the event's stream> (admin includes it); a token that may not read the category gets EVENT_NOT_FOUND",
  admin: 'admin',
  readEvent: "read:<category of the event's stream>; an event of a category the token may not read is EVENT_NOT_FOUND",
  reverseEvent: "write:<category of the event's stream>; an event of a category the token may not read is EVENT_NOT_FOUND",
  readCorrelation: 'any valid token: only the events of the categories it may read',
  readHistory: 'any valid token: shown only the events of the categories it may read (an audit event of a redaction: of the redacted stream); the others are left out without a count',
} as const;

/** Refuses to start a server with a route whose scope is not written down: every route is a data route. */
export function requireScopes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide === true || route.method === 'HEAD' || route.method === 'OPTIONS') return;
    if (route.schema?.['x-scope'] === undefined) {
      throw new TributaryError('INTERNAL_ERROR', `route ${String(route.method)} ${route.url} has no x-scope in its schema`, { route: route.url });
    }
  });
}
