import type { FastifyRequest } from 'fastify';
import { TributaryError } from '../core/errors.js';
import type { AppendCondition } from '../core/event-query.js';
import { categoryOf } from '../core/stream-name.js';
import type { LogFilter } from '../store/event-store.js';
import type { TokenStore } from '../store/token-store.js';
import type { Categories } from '../store/filter-categories.js';
import { EVERYTHING, NOTHING, allows, readsAll, readsEverything, readsPersonal, grantOf, type Grant } from './grant.js';
import { OpenMode } from './open-mode.js';
import { TokenCache, type CachedToken } from './token-cache.js';
import { parseToken, secretMatches } from './tokens.js';

// a revocation reaches every server on the database within this long
const CACHE_MS = 1_000;
// tokens remembered at once: random unknown ids cannot grow the cache beyond this
const CACHE_ENTRIES = 10_000;

declare module 'fastify' {
  interface FastifyRequest {
    grant?: Grant;
  }
  interface FastifyContextConfig {
    /** Served without a token even when tokens are required. */
    public?: boolean;
    /** A server-sent-events route: `EventSource` cannot send headers, so `?access_token=` may carry the token. */
    tokenInQuery?: boolean;
  }
}

/**
 * Authentication and authorization for the routes. In open mode (loopback,
 * no token in the database) every request may do everything; otherwise a
 * request needs `Authorization: Bearer trb_…` and its token's scopes decide
 * (401 without a valid token, 403 when the scopes fall short).
 */
export class Access {
  readonly #tokens: TokenStore | undefined;
  readonly #openMode: OpenMode;
  readonly #cache = new TokenCache(CACHE_ENTRIES);

  constructor(tokens: TokenStore | undefined, open: boolean) {
    this.#tokens = tokens;
    this.#openMode = new OpenMode(tokens, open);
  }

  /**
   * Resolves the request's grant: everything on public routes and in open
   * mode, else its bearer token's. Settles at once (no promise) when nothing
   * needs the database: most requests, since open mode and tokens are cached.
   */
  authenticate(request: FastifyRequest): Promise<void> | void {
    if (request.routeOptions.config.public === true || isPreflight(request)) {
      request.grant = EVERYTHING;
      return;
    }
    const open = this.#openMode.isOpen();
    if (open === true) request.grant = EVERYTHING;
    else if (open === false) return this.#authenticateToken(request);
    else return open.then((isOpen) => (isOpen ? void (request.grant = EVERYTHING) : this.#authenticateToken(request)));
  }

  #authenticateToken(request: FastifyRequest): Promise<void> | void {
    const presented = presentedToken(request);
    if (presented === undefined) throw unauthorized('send Authorization: Bearer <token>');
    const settle = (entry: CachedToken) => {
      if (entry.grant === undefined || !secretMatches(presented.secret, entry.secretHash)) throw unauthorized('the token is unknown or revoked');
      request.grant = entry.grant;
    };
    const cached = this.#cache.get(presented.id);
    if (cached !== undefined && cached.at + CACHE_MS > Date.now()) return settle(cached);
    return this.#lookup(presented.id).then(settle);
  }

  /** Throws FORBIDDEN unless the request may `action` the stream's category. */
  check(request: FastifyRequest, action: 'read' | 'write', stream: string): void {
    if (!allows(grantFor(request), action, categoryOf(stream))) {
      throw new TributaryError('FORBIDDEN', `this token may not ${action} stream ${JSON.stringify(stream)}`, { action, stream, category: categoryOf(stream) });
    }
  }

  /** Throws FORBIDDEN unless the request may read every category (listings that span them all). */
  checkReadAll(request: FastifyRequest): void {
    if (!readsEverything(grantFor(request))) {
      throw new TributaryError('FORBIDDEN', 'this needs a token that may read every category (read:*)', { action: 'read', category: '*' });
    }
  }

  /** The name of the request's token, recorded as the producer of what it appends; undefined in open mode. */
  producer(request: FastifyRequest): string | undefined {
    return grantFor(request).name;
  }

  /** True when the request may write at least one category (admin may write them all). */
  writesAny(request: FastifyRequest): boolean {
    const grant = grantFor(request);
    return grant.admin || grant.write.size > 0;
  }

  /** Throws FORBIDDEN unless the request's token is an admin one. */
  checkAdmin(request: FastifyRequest): void {
    if (!grantFor(request).admin) throw new TributaryError('FORBIDDEN', 'this needs an admin token', { action: 'admin' });
  }

  /** True when the request's token is an admin one (or the server is in open mode). */
  isAdmin(request: FastifyRequest): boolean {
    return grantFor(request).admin;
  }

  /** True when the request may read every one of `categories` (`'*'`: all of them). */
  mayRead(request: FastifyRequest, categories: Categories): boolean {
    return readsAll(grantFor(request), categories);
  }

  /** Which categories' personal fields the request may read in plaintext; undefined when it may read them all. */
  personalReader(request: FastifyRequest): ((category: string) => boolean) | undefined {
    const grant = grantFor(request);
    if (readsPersonal(grant, '*')) return undefined;
    return (category) => readsPersonal(grant, category);
  }

  /** The categories whose personal fields the request may read, as text: requests with the same key see the same values. */
  personalKey(request: FastifyRequest): string {
    const grant = grantFor(request);
    return JSON.stringify([...new Set([...grant.write, ...(grant.personal ?? [])])].sort());
  }

  /** Throws FORBIDDEN unless the request may read every one of `categories`; `what` names the thing they belong to. */
  checkRead(request: FastifyRequest, categories: Categories, what: string): void {
    if (this.mayRead(request, categories)) return;
    const needed = categories === '*' ? 'read:* (every category)' : categories.map((category) => `read:${category}`).join(', ');
    throw new TributaryError('FORBIDDEN', `${what} needs a token with ${needed}`, { action: 'read', categories });
  }

  /** True when the request may write every one of `categories` (admin may write them all). */
  mayWrite(request: FastifyRequest, categories: readonly string[]): boolean {
    const grant = grantFor(request);
    return categories.every((category) => allows(grant, 'write', category));
  }

  /** Throws FORBIDDEN unless the request may write every one of `categories`; `what` names the thing they belong to. */
  checkWrite(request: FastifyRequest, categories: readonly string[], what: string): void {
    if (this.mayWrite(request, categories)) return;
    const needed = categories.map((category) => `write:${category}`).join(', ');
    throw new TributaryError('FORBIDDEN', `${what} needs a token with ${needed} (or admin)`, { action: 'write', categories });
  }

  /** The filter narrowed to what the token may read: asking for a category it may not read is FORBIDDEN. */
  readableFilter(request: FastifyRequest, filter: LogFilter): LogFilter {
    const grant = grantFor(request);
    if (readsEverything(grant)) return filter;
    const readable = [...new Set([...grant.read, ...grant.write])];
    // an empty category list filters nothing: a token that may read no category reads nothing
    if (readable.length === 0) throw new TributaryError('FORBIDDEN', 'this token may not read any category', { action: 'read', categories: [] });
    if (filter.categories === undefined || filter.categories.length === 0) return { ...filter, categories: readable };
    const refused = filter.categories.filter((category) => !readable.includes(category));
    if (refused.length > 0) {
      throw new TributaryError('FORBIDDEN', `this token may not read ${refused.join(', ')}`, { action: 'read', categories: refused });
    }
    return filter;
  }

  /**
   * A condition narrowed to what the token may read: only events of its
   * categories can fail it, so a refusal tells nothing of other teams' events.
   * Naming a category it may not read is FORBIDDEN.
   */
  readableCondition(request: FastifyRequest, condition: AppendCondition | undefined): AppendCondition | undefined {
    if (condition === undefined) return undefined;
    const { categories } = this.readableFilter(request, { categories: condition.categories });
    return categories === condition.categories ? condition : { ...condition, categories };
  }

  async #lookup(id: string): Promise<CachedToken> {
    const record = await this.#tokens?.find(id);
    const entry = {
      grant: record === undefined || record.revokedAt !== null ? undefined : grantOf(record.scopes, record.name),
      secretHash: record?.secretHash ?? '',
      at: Date.now(),
    };
    this.#cache.set(id, entry);
    return entry;
  }
}

function grantFor(request: FastifyRequest): Grant {
  return request.grant ?? NOTHING;
}

/** The token of the Authorization header (its scheme in any case), or of `?access_token=` on routes that allow it. */
function presentedToken(request: FastifyRequest): { id: string; secret: string } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match === null ? undefined : parseToken(match[1]!);
  }
  if (request.routeOptions.config.tokenInQuery !== true) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.['access_token'];
  return typeof token === 'string' ? parseToken(token) : undefined;
}

/** A CORS preflight carries no credentials by design, and answers nothing about the data. */
function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}

function unauthorized(reason: string): TributaryError {
  return new TributaryError('UNAUTHORIZED', `a valid bearer token is required: ${reason}`);
}
