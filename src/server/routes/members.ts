import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import { checkFilter, checkPartitionCount } from '../../store/consumer-rows.js';
import type { EventStore, LogFilter } from '../../store/event-store.js';
import { normalizeFilter } from '../../store/options.js';
import { rawReads } from '../../store/raw-reads.js';
import { MAX_WINDOW } from '../../subscriptions/consumer-options.js';
import type { Access } from '../access.js';
import type { ConsumerAccess } from '../consumer-access.js';
import { categoriesOf } from '../../store/filter-categories.js';
import { personalView } from '../personal-view.js';
import { SCOPES } from '../route-scopes.js';
import type { SseOptions } from '../limits.js';
import { MemberSession, type Acknowledgements, type MemberSessions } from '../member-session.js';
import { accessTokenQuery, errorResponses, filterQuery, rawQuery } from '../schemas.js';
import { streamToClient, type SseRegistry } from '../sse.js';
import { filterOf, type FilterQuery } from './filter.js';

const memberParams = {
  type: 'object',
  required: ['name', 'member'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, member: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const DEFAULT_ACK_TIMEOUT_MS = 30_000;
const DEFAULT_PARTITIONS = 16;
const DEFAULT_WINDOW = 100;

const position = { type: 'integer', minimum: 1 } as const;
const failure = { type: 'string', maxLength: 4000 } as const;

/** One event: `{"position", "ok"?, "error"?}`, or a batch: `{"acks"?: [position…], "nacks"?: [{"position", "error"}…]}`. */
const ackBody = {
  oneOf: [
    {
      type: 'object',
      description: 'one event: handled, or failed (ok false, default true) with an error',
      required: ['position'],
      properties: { position, ok: { type: 'boolean' }, error: failure },
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'a batch: the positions handled (acks) and those that failed, each with its error (nacks)',
      anyOf: [{ required: ['acks'] }, { required: ['nacks'] }],
      properties: {
        acks: { type: 'array', items: position, maxItems: MAX_WINDOW, uniqueItems: true },
        nacks: {
          type: 'array',
          maxItems: MAX_WINDOW,
          items: { type: 'object', required: ['position', 'error'], properties: { position, error: failure }, additionalProperties: false },
        },
      },
      additionalProperties: false,
    },
  ],
} as const;

type AckBody = { position: number; ok?: boolean; error?: string } | { acks?: number[]; nacks?: { position: number; error: string }[] };

/**
 * A consumer group member for clients that speak only HTTP: open
 * `GET /consumers/{name}/members/{member}/events` as server-sent events, and
 * acknowledge the events with `POST …/ack`, in batches if it likes. Up to
 * `window` events are in flight at once, never two of one stream. The server
 * keeps the member's leases, partitions, checkpoints, retries and parking.
 */
export function memberRoutes(
  app: FastifyInstance,
  store: EventStore,
  sse: SseOptions,
  registry: SseRegistry,
  sessions: MemberSessions,
  access: Access,
  guard: ConsumerAccess,
): void {
  // a connection dropped at the end of the grace period no longer holds the close open: wait for its consumer here
  app.addHook('onClose', async () => sessions.drained());
  app.get<{ Params: { name: string; member: string }; Querystring: FilterQuery & { partitions?: number; start?: string; ackTimeoutMs?: number; window?: number; raw?: boolean } }>(
    '/consumers/:name/members/:member/events',
    {
      config: { tokenInQuery: true },
      schema: {
        summary:
          'Join a consumer group as this member and receive its events (server-sent events), up to window in flight at once and never two of one stream; ' +
          'acknowledge them with POST …/ack, one by one or in batches. ' +
          'A group that exists keeps its filter and partitions: a member asking for others gets 409 CONSUMER_CONFLICT',
        tags: ['consumer groups'],
        'x-scope': SCOPES.changeConsumer,
        params: memberParams,
        querystring: {
          type: 'object',
          properties: {
            partitions: { type: 'integer', minimum: 1, maximum: 1024, description: `fixed when the group is first created (default ${DEFAULT_PARTITIONS})` },
            start: { type: 'string', description: 'beginning (default), end, or a position: where a new group starts' },
            ackTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, default: DEFAULT_ACK_TIMEOUT_MS, description: 'an event not acknowledged this long counts as failed' },
            window: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_WINDOW,
              default: DEFAULT_WINDOW,
              description: 'the most events sent and not yet acknowledged; an event waits until the one before it in its stream is acknowledged or parked',
            },
            ...filterQuery,
            ...rawQuery,
            access_token: accessTokenQuery,
          },
          additionalProperties: false,
        },
        response: {
          200: { description: 'text/event-stream: id: <position>, the event JSON as data; up to window unacknowledged, never two of one stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { name, member } = request.params;
      const { filter, partitions } = await groupToJoin({ store, access, guard }, request, name);
      const session = new MemberSession(personalView(request.query.raw === true ? rawReads(store) : store, access, request), {
        name,
        member,
        partitions,
        start: startOf(request.query.start),
        filter,
        ackTimeoutMs: request.query.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
        window: request.query.window ?? DEFAULT_WINDOW,
      });
      const close = sessions.open(session);
      try {
        await streamToClient(reply, (signal) => session.messages(signal), sse, registry);
      } finally {
        close();
      }
    },
  );

  app.post<{ Params: { name: string; member: string }; Body: AckBody }>(
    '/consumers/:name/members/:member/ack',
    {
      schema: {
        summary:
          'Acknowledge events in flight: {"acks": [positions handled], "nacks": [{"position", "error"}]} (a failed event is retried, then parked), ' +
          'or one event as {"position", "ok"?, "error"?}. All or nothing: a position not in flight for the member is 409 EVENT_NOT_IN_FLIGHT and nothing is settled',
        tags: ['consumer groups'],
        'x-scope': SCOPES.changeConsumer,
        params: memberParams,
        body: ackBody,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, member } = request.params;
      const session = sessions.find(name, member);
      if (session === undefined) {
        throw new TributaryError('CONSUMER_NOT_FOUND', `member ${member} of ${name} has no open event stream on this server`, { consumer: name, member });
      }
      access.checkRead(request, categoriesOf(session.filter), `consumer ${JSON.stringify(name)}`);
      session.acknowledge(acknowledgementsOf(request.body));
      return reply.code(204).send();
    },
  );
}

function acknowledgementsOf(body: AckBody): Acknowledgements {
  if (!('position' in body)) return { acks: body.acks ?? [], nacks: body.nacks ?? [] };
  if (body.ok === false) return { acks: [], nacks: [{ position: body.position, error: body.error ?? 'the member reported a failure' }] };
  return { acks: [body.position], nacks: [] };
}

/** Query parameters of a member's event stream, as its route declares them. */
type JoinQuery = FilterQuery & { partitions?: number };

/**
 * The filter and partition count a member joins with: a group that exists
 * keeps its own (asking for others is CONSUMER_CONFLICT, never a change), and
 * the request must be allowed to read every category of its filter.
 */
async function groupToJoin(
  { store, access, guard }: { store: EventStore; access: Access; guard: ConsumerAccess },
  request: FastifyRequest,
  name: string,
): Promise<{ filter: LogFilter; partitions: number }> {
  guard.refuseProjectionConsumer(name);
  const query = request.query as JoinQuery;
  const asked = filterOf(query);
  const existing = await store.consumers.get(name);
  if (existing === undefined) {
    const filter = access.readableFilter(request, asked);
    access.checkRead(request, categoriesOf(filter), `a consumer reading ${JSON.stringify(filter)}`);
    return { filter, partitions: query.partitions ?? DEFAULT_PARTITIONS };
  }
  access.checkRead(request, categoriesOf(existing.filter), `consumer ${JSON.stringify(name)}`);
  if (query.partitions !== undefined) checkPartitionCount(name, existing.partitions.length, query.partitions);
  if (normalizeFilter(asked) !== undefined) checkFilter(name, existing.filter, asked);
  return { filter: existing.filter, partitions: existing.partitions.length };
}

function startOf(text: string | undefined): 'beginning' | 'end' | number {
  if (text === undefined || text === 'beginning' || text === 'end') return text ?? 'beginning';
  if (/^\d+$/.test(text)) return Number(text);
  throw new TributaryError('INVALID_ARGUMENT', `start must be beginning, end or a position, got ${JSON.stringify(text)}`, { argument: 'start' });
}
