import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import type { SseOptions } from '../limits.js';
import { MemberSession, type MemberSessions } from '../member-session.js';
import { errorResponses, filterQuery } from '../schemas.js';
import { streamToClient, type SseRegistry } from '../sse.js';
import { filterOf, type FilterQuery } from './filter.js';

const memberParams = {
  type: 'object',
  required: ['name', 'member'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, member: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const DEFAULT_ACK_TIMEOUT_MS = 30_000;

/**
 * A consumer group member for clients that speak only HTTP: open
 * `GET /consumers/{name}/members/{member}/events` as server-sent events, and
 * answer each event with `POST …/ack`. The server keeps the member's leases,
 * partitions, checkpoints, retries and parking.
 */
export function memberRoutes(app: FastifyInstance, store: EventStore, sse: SseOptions, registry: SseRegistry, sessions: MemberSessions, access: Access): void {
  // a connection dropped at the end of the grace period no longer holds the close open: wait for its consumer here
  app.addHook('onClose', async () => sessions.drained());
  app.get<{ Params: { name: string; member: string }; Querystring: FilterQuery & { partitions?: number; start?: string; ackTimeoutMs?: number } }>(
    '/consumers/:name/members/:member/events',
    {
      schema: {
        summary: 'Join a consumer group as this member and receive its events one at a time (server-sent events); acknowledge each with POST …/ack',
        tags: ['consumer groups'],
        params: memberParams,
        querystring: {
          type: 'object',
          properties: {
            partitions: { type: 'integer', minimum: 1, maximum: 1024, default: 16, description: 'fixed when the group is first created' },
            start: { type: 'string', description: 'beginning (default), end, or a position: where a new group starts' },
            ackTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, default: DEFAULT_ACK_TIMEOUT_MS },
            ...filterQuery,
          },
          additionalProperties: false,
        },
        response: {
          200: { description: 'text/event-stream: one event at a time (id: <position>, the event JSON as data); the next comes after its ack', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { name, member } = request.params;
      const filter = access.readableFilter(request, filterOf(request.query));
      const session = new MemberSession(store, {
        name,
        member,
        partitions: request.query.partitions ?? 16,
        start: startOf(request.query.start),
        filter,
        ackTimeoutMs: request.query.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
      });
      const close = sessions.open(session);
      try {
        await streamToClient(reply, (signal) => session.messages(signal), sse, registry);
      } finally {
        close();
      }
    },
  );

  app.post<{ Params: { name: string; member: string }; Body: { position: number; ok?: boolean; error?: string } }>(
    '/consumers/:name/members/:member/ack',
    {
      schema: {
        summary: 'Acknowledge the event in flight: ok (default) or failed with an error, which is retried and then parked',
        tags: ['consumer groups'],
        params: memberParams,
        body: {
          type: 'object',
          required: ['position'],
          properties: { position: { type: 'integer', minimum: 1 }, ok: { type: 'boolean', default: true }, error: { type: 'string', maxLength: 4000 } },
          additionalProperties: false,
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, member } = request.params;
      const session = sessions.find(name, member);
      if (session === undefined) {
        throw new TributaryError('CONSUMER_NOT_FOUND', `member ${member} of ${name} has no open event stream on this server`, { consumer: name, member });
      }
      const { position, ok, error } = request.body;
      session.acknowledge(position, ok === false ? (error ?? 'the member reported a failure') : undefined);
      return reply.code(204).send();
    },
  );
}

function startOf(text: string | undefined): 'beginning' | 'end' | number {
  if (text === undefined || text === 'beginning' || text === 'end') return text ?? 'beginning';
  if (/^\d+$/.test(text)) return Number(text);
  throw new TributaryError('INVALID_ARGUMENT', `start must be beginning, end or a position, got ${JSON.stringify(text)}`, { argument: 'start' });
}
