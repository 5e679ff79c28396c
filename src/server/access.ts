import type { FastifyRequest } from 'fastify';
import { TributaryError } from '../core/errors.js';
import { categoryOf } from '../core/stream-name.js';
import type { LogFilter } from '../store/event-store.js';
import type { TokenStore } from '../store/token-store.js';
import { parseScope } from './scopes.js';
import { parseToken, secretMatches } from './tokens.js';

/** What a request may do, worked out from its bearer token (or granted in full in open mode). */
export interface Grant {
  admin: boolean;
  /** Categories it may read; `'*'` for all. */
  read: ReadonlySet<string>;
  write: ReadonlySet<string>;
}

const EVERYTHING: Grant = { admin: true, read: new Set(['*']), write: new Set(['*']) };
// what a request that was never authenticated may do: a route that forgot to authenticate refuses rather than opens
const NOTHING: Grant = { admin: false, read: new Set(), write: new Set() };

// a revocation reaches every server on the database within this long
const CACHE_MS = 1_000;

declare module 'fastify' {
  interface FastifyRequest {
    grant?: Grant;
  }
}

/**
 * Authentication and authorization for the routes. In open mode (loopback,
 * no tokens) every request may do everything; otherwise a request needs
 * `Authorization: Bearer trb_…` and its token's scopes decide (401 without a
 * valid token, 403 when the scopes fall short).
 */
export class Access {
  readonly open: boolean;
  readonly #tokens: TokenStore | undefined;
  readonly #cache = new Map<string, { grant: Grant | undefined; secretHash: string; at: number }>();

  constructor(tokens: TokenStore | undefined, open: boolean) {
    this.#tokens = tokens;
    this.open = open;
  }

  /** Open mode, or a public route: everything is allowed without looking at the request. */
  grantOpen(request: FastifyRequest): void {
    request.grant = EVERYTHING;
  }

  /** Resolves the request's grant from its bearer token; every route but the public ones. */
  async authenticate(request: FastifyRequest): Promise<void> {
    if (this.open) {
      request.grant = EVERYTHING;
      return;
    }
    const header = request.headers.authorization;
    const presented = header?.startsWith('Bearer ') === true ? parseToken(header.slice(7).trim()) : undefined;
    if (presented === undefined) throw unauthorized('send Authorization: Bearer <token>');
    const entry = await this.#lookup(presented.id);
    if (entry?.grant === undefined || !secretMatches(presented.secret, entry.secretHash)) throw unauthorized('the token is unknown or revoked');
    request.grant = entry.grant;
  }

  /** Throws FORBIDDEN unless the request may `action` the stream's category. */
  check(request: FastifyRequest, action: 'read' | 'write', stream: string): void {
    const grant = request.grant ?? NOTHING;
    if (!allows(grant, action, categoryOf(stream))) {
      throw new TributaryError('FORBIDDEN', `this token may not ${action} stream ${JSON.stringify(stream)}`, { action, stream, category: categoryOf(stream) });
    }
  }

  /** Throws FORBIDDEN unless the request may read every category (listings that span them all). */
  checkReadAll(request: FastifyRequest): void {
    const grant = request.grant ?? NOTHING;
    if (!(grant.admin || grant.read.has('*') || grant.write.has('*'))) {
      throw new TributaryError('FORBIDDEN', 'this needs a token that may read every category (read:*)', { action: 'read', category: '*' });
    }
  }

  /** Throws FORBIDDEN unless the request's token is an admin one. */
  checkAdmin(request: FastifyRequest): void {
    if (!(request.grant ?? NOTHING).admin) throw new TributaryError('FORBIDDEN', 'this needs an admin token', { action: 'admin' });
  }

  /** The filter narrowed to what the token may read: asking for a category it may not read is FORBIDDEN. */
  readableFilter(request: FastifyRequest, filter: LogFilter): LogFilter {
    const grant = request.grant ?? NOTHING;
    if (grant.admin || grant.read.has('*') || grant.write.has('*')) return filter;
    const readable = [...new Set([...grant.read, ...grant.write])];
    if (filter.categories === undefined || filter.categories.length === 0) return { ...filter, categories: readable };
    const refused = filter.categories.filter((category) => !readable.includes(category));
    if (refused.length > 0) {
      throw new TributaryError('FORBIDDEN', `this token may not read ${refused.join(', ')}`, { action: 'read', categories: refused });
    }
    return filter;
  }

  async #lookup(id: string) {
    const cached = this.#cache.get(id);
    if (cached !== undefined && cached.at + CACHE_MS > Date.now()) return cached;
    const record = await this.#tokens?.find(id);
    const entry = {
      grant: record === undefined || record.revokedAt !== null ? undefined : grantOf(record.scopes),
      secretHash: record?.secretHash ?? '',
      at: Date.now(),
    };
    this.#cache.set(id, entry);
    return entry;
  }
}

// the one strict grammar minting uses too: a stored scope it cannot parse grants nothing
function grantOf(scopes: readonly string[]): Grant {
  const read = new Set<string>();
  const write = new Set<string>();
  let admin = false;
  for (const scope of scopes.map(parseScope)) {
    if (scope?.action === 'admin') admin = true;
    else if (scope?.action === 'read') read.add(scope.category);
    else if (scope?.action === 'write') write.add(scope.category);
  }
  return { admin, read, write };
}

function allows(grant: Grant, action: 'read' | 'write', category: string): boolean {
  if (grant.admin || grant.write.has('*') || grant.write.has(category)) return true;
  return action === 'read' && (grant.read.has('*') || grant.read.has(category));
}

function unauthorized(reason: string): TributaryError {
  return new TributaryError('UNAUTHORIZED', `a valid bearer token is required: ${reason}`);
}
