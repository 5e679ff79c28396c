import type { FastifyReply } from 'fastify';
import type { EventStore } from '../../store/event-store.js';
import { whileConnected } from '../client-gone.js';

/** `?after=&timeoutMs=` of a head route: with `after`, a long poll until the head passes it. */
export const headQuery = {
  type: 'object',
  properties: { after: { type: 'integer', minimum: 0 }, timeoutMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 30_000 } },
  additionalProperties: false,
} as const;

export const headResult = { type: 'object', required: ['head'], properties: { head: { type: 'integer' } } } as const;

/** The head of `store` (the real log or a branch) at once, or once it passes `after`; the wait ends when the client goes. */
export async function answerHead(store: EventStore, query: { after?: number; timeoutMs?: number }, reply: FastifyReply): Promise<{ head: number }> {
  const { after, timeoutMs } = query;
  if (after === undefined) return { head: await store.headPosition() };
  return { head: await whileConnected(reply, (signal) => store.waitForPosition(after, { timeoutMs, signal })) };
}
