import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import { assertStreamName } from '../../core/stream-name.js';
import type { EventStore, LogFilter } from '../../store/event-store.js';
import { normalizeFilter } from '../../store/options.js';
import { rawReads } from '../../store/raw-reads.js';
import { subscribeToAll, subscribeToStream } from '../../subscriptions/log-subscription.js';
import type { Access } from '../access.js';
import type { SseOptions } from '../limits.js';
import { personalFeedKey, personalView } from '../personal-view.js';
import { SCOPES } from '../route-scopes.js';
import { accessTokenQuery, errorResponses, filterQuery, rawQuery, streamParams, tagQuery } from '../schemas.js';
import type { LiveFeeds } from '../live-feeds.js';
import { streamThroughFeed, type SseRegistry } from '../sse.js';
import { filterOf, type FilterQuery } from './filter.js';

export const sseResponse = {
  200: {
    description:
      'text/event-stream: one message per event (`id: <position>`, the event JSON as `data`), `event: caught-up` at the switch to live, comment heartbeats, and `event: error` before the server ends the stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  },
  ...errorResponses,
} as const;

export const afterQuery = {
  after: { type: 'integer', minimum: 0, description: 'start after this position; default the head (live only); a Last-Event-ID header wins' },
} as const;

/** `GET /streams/{stream}/subscribe` and `GET /all/subscribe`: history then live, as server-sent events. */
export function subscriptionRoutes(
  app: FastifyInstance,
  store: EventStore,
  sse: SseOptions,
  live: { registry: SseRegistry; feeds: LiveFeeds },
  access: Access,
): void {
  const { registry, feeds } = live;
  app.get<{ Params: { stream: string }; Querystring: { after?: number; raw?: boolean } }>(
    '/streams/:stream/subscribe',
    {
      config: { tokenInQuery: true },
      schema: {
        summary: "Follow a stream: its history after a position, then live (server-sent events)",
        tags: ['live'],
        'x-scope': SCOPES.readStream,
        params: streamParams,
        querystring: { type: 'object', properties: { ...afterQuery, ...rawQuery, access_token: accessTokenQuery }, additionalProperties: false },
        response: sseResponse,
      },
    },
    async (request, reply) => {
      const { stream } = request.params;
      assertStreamName(stream);
      access.check(request, 'read', stream);
      const start = await startAfter(request, request.query.after, store);
      const raw = request.query.raw === true;
      const source = personalView(raw ? rawReads(store) : store, access, request);
      const open = (after: number, signal: AbortSignal) => subscribeToStream(source, stream, { after, signal });
      const key = `${raw ? 'raw ' : ''}${personalFeedKey(access, request, store)}stream ${stream}`;
      await streamThroughFeed(reply, { feeds, key, start, open }, sse, registry);
    },
  );

  app.get<{ Querystring: FilterQuery & { after?: number; raw?: boolean } }>(
    '/all/subscribe',
    {
      config: { tokenInQuery: true },
      schema: {
        summary: 'Follow the global log, optionally filtered: history after a position, then live (server-sent events)',
        tags: ['live'],
        'x-scope': SCOPES.readFilter,
        querystring: { type: 'object', properties: { ...afterQuery, ...filterQuery, ...tagQuery, ...rawQuery, access_token: accessTokenQuery }, additionalProperties: false },
        response: sseResponse,
      },
    },
    async (request, reply) => {
      const filter = access.readableFilter(request, filterOf(request.query));
      // a bad filter is refused before the stream opens, while a status can still say so
      normalizeFilter(filter);
      const start = await startAfter(request, request.query.after, store);
      const raw = request.query.raw === true;
      const source = personalView(raw ? rawReads(store) : store, access, request);
      const open = (after: number, signal: AbortSignal) => subscribeToAll(source, { ...filter, after, signal });
      const key = `${raw ? 'raw ' : ''}${personalFeedKey(access, request, store)}${feedKey(filter)}`;
      await streamThroughFeed(reply, { feeds, key, start, open }, sse, registry);
    },
  );
}

/** Subscribers share a feed only with those reading exactly the same events: a token's narrower filter, or raw events, get a feed of their own. */
export function feedKey(filter: LogFilter): string {
  const sorted = (values: readonly string[] | undefined) => [...new Set(values ?? [])].sort();
  return `all ${JSON.stringify([sorted(filter.categories), sorted(filter.types), filter.streamPrefix ?? '', sorted(filter.tags)])}`;
}

/** Last-Event-ID (a reconnecting EventSource), else `?after=`, else the head. */
export async function startAfter(request: FastifyRequest, after: number | undefined, store: EventStore): Promise<number> {
  const lastEventId = request.headers['last-event-id'];
  if (typeof lastEventId === 'string' && lastEventId !== '') {
    if (!/^\d+$/.test(lastEventId)) throw invalidArgument('Last-Event-ID', `must be a position, got ${JSON.stringify(lastEventId)}`);
    return Number(lastEventId);
  }
  return after ?? (await store.headPosition());
}
