import { asOfBeyondHead, parseAsOf, type AsOf } from '../core/as-of.js';
import type { EventStore } from '../store/event-store.js';

/**
 * The last position of `source` a replay builds up to: `until` as a position
 * (at most the head) or a time (the last position recorded at or before it);
 * the head when omitted. Errors: INVALID_AS_OF.
 */
export async function replayUntil(source: EventStore, until: AsOf | undefined): Promise<number> {
  const parsed = until === undefined ? undefined : parseAsOf(until);
  const head = await source.headPosition();
  if (parsed === undefined) return head;
  if ('time' in parsed) return source.positionAt(new Date(parsed.time));
  if (parsed.position > head) throw asOfBeyondHead(parsed.position, head);
  return parsed.position;
}
