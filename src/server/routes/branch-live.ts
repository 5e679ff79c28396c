import type { FastifyInstance } from 'fastify';
import { assertStreamName } from '../../core/stream-name.js';
import { normalizeFilter } from '../../store/options.js';
import type { EventStore } from '../../store/event-store.js';
import { rawReads } from '../../store/raw-reads.js';
import { subscribeToAll, subscribeToStream } from '../../subscriptions/log-subscription.js';
import type { Access } from '../access.js';
import type { LiveFeeds } from '../live-feeds.js';
import type { SseOptions } from '../limits.js';
import { personalFeedKey, personalView } from '../personal-view.js';
import { SCOPES } from '../route-scopes.js';
import { accessTokenQuery, filterQuery, rawQuery, streamParams, tagQuery } from '../schemas.js';
import { streamThroughFeed, type SseRegistry } from '../sse.js';
import { branchStore } from './branch-log.js';
import { branchParams } from './branches.js';
import { filterOf, type FilterQuery } from './filter.js';
import { afterQuery, feedKey, sseResponse, startAfter } from './subscriptions.js';

/** `GET /branches/{name}/streams/{stream}/subscribe` and `GET /branches/{name}/all/subscribe`: a branch's history then live, as server-sent events. */
export function branchLiveRoutes(app: FastifyInstance, store: EventStore, sse: SseOptions, live: { registry: SseRegistry; feeds: LiveFeeds }, access: Access): void {
  const { registry, feeds } = live;
  app.get<{ Params: { name: string; stream: string }; Querystring: { after?: number; raw?: boolean } }>(
    '/branches/:name/streams/:stream/subscribe',
    {
      config: { tokenInQuery: true },
      schema: {
        summary: 'Follow a stream of a branch: its history after a position, then live (server-sent events)',
        tags: ['branches'],
        'x-scope': SCOPES.readStream,
        params: { type: 'object', required: ['name', 'stream'], properties: { ...branchParams.properties, ...streamParams.properties } },
        querystring: { type: 'object', properties: { ...afterQuery, ...rawQuery, access_token: accessTokenQuery }, additionalProperties: false },
        response: sseResponse,
      },
    },
    async (request, reply) => {
      const { name, stream } = request.params;
      assertStreamName(stream);
      access.check(request, 'read', stream);
      const branch = branchStore(store, name);
      const start = await startAfter(request, request.query.after, branch);
      const raw = request.query.raw === true;
      const source = personalView(raw ? rawReads(branch) : branch, access, request);
      const open = (after: number, signal: AbortSignal) => subscribeToStream(source, stream, { after, signal });
      await streamThroughFeed(reply, { feeds, key: `branch ${name} ${raw ? 'raw ' : ''}${personalFeedKey(access, request, store)}stream ${stream}`, start, open }, sse, registry);
    },
  );

  app.get<{ Params: { name: string }; Querystring: FilterQuery & { after?: number; raw?: boolean } }>(
    '/branches/:name/all/subscribe',
    {
      config: { tokenInQuery: true },
      schema: {
        summary: "Follow a branch's log, optionally filtered: history after a position, then live (server-sent events)",
        tags: ['branches'],
        'x-scope': SCOPES.readFilter,
        params: branchParams,
        querystring: { type: 'object', properties: { ...afterQuery, ...filterQuery, ...tagQuery, ...rawQuery, access_token: accessTokenQuery }, additionalProperties: false },
        response: sseResponse,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const filter = access.readableFilter(request, filterOf(request.query));
      normalizeFilter(filter);
      const branch = branchStore(store, name);
      const start = await startAfter(request, request.query.after, branch);
      const raw = request.query.raw === true;
      const source = personalView(raw ? rawReads(branch) : branch, access, request);
      const open = (after: number, signal: AbortSignal) => subscribeToAll(source, { ...filter, after, signal });
      await streamThroughFeed(reply, { feeds, key: `branch ${name} ${raw ? 'raw ' : ''}${personalFeedKey(access, request, store)}${feedKey(filter)}`, start, open }, sse, registry);
    },
  );
}
