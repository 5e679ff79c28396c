import type { EventStore } from '../store/event-store.js';
import { recordingsOf } from '../store/gateway-recordings.js';
import { consumerOwner } from './handling.js';

/**
 * Forgets consumer `name`: its checkpoints, members and parked events, and
 * the answers its gateway calls recorded. True when there was such a consumer.
 *
 * ```ts
 * await removeConsumer(store, 'confirmation-mailer');
 * ```
 */
export async function removeConsumer(store: Pick<EventStore, 'consumers' | 'recordings' | 'sql'>, name: string): Promise<boolean> {
  const removed = await store.consumers.remove(name);
  await recordingsOf(store)?.drop(consumerOwner(name));
  return removed;
}
