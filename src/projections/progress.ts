import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { consumerNameOf } from './projection.js';
import { requireProjection, sqlOf } from './registry.js';

/**
 * Whether the consumer `name` has handled everything its filter selects up to
 * `position`: its checkpoint is there, or no selected event lies between.
 */
export async function consumerReached(store: EventStore, name: string, position: number): Promise<{ reached: boolean; checkpoint: number }> {
  const record = await store.consumers.get(name);
  if (record === undefined) return { reached: position === 0, checkpoint: 0 };
  const checkpoint = Math.min(...record.partitions.map((partition) => partition.checkpoint));
  if (checkpoint >= position) return { reached: true, checkpoint };
  // the head is read first: anything appended after it shows up in the read below
  const head = await store.headPosition();
  const next = await store.readAll({ ...record.filter, after: checkpoint, limit: 1 });
  if (next.events.length > 0) return { reached: next.events[0]!.position > position, checkpoint };
  return { reached: head >= position, checkpoint };
}

/**
 * Resolves when the generation readers see of projection `name` reflects every
 * event up to `position` — read your own writes. Throws PROJECTION_NOT_CAUGHT_UP
 * after `timeoutMs` (default 5,000).
 *
 * ```ts
 * const { position } = await store.append('order-1', [placed]);
 * await waitForProjection(store, 'orders', position);
 * ```
 */
export async function waitForProjection(
  store: EventStore,
  name: string,
  position: number,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ generation: number; checkpoint: number }> {
  const sql = sqlOf(store, name);
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    const record = await requireProjection(sql, name);
    // an inline projection commits with the append itself
    if (record.mode === 'inline') return { generation: record.live, checkpoint: await store.headPosition() };
    const { reached, checkpoint } = await consumerReached(store, consumerNameOf(name, record.live), position);
    if (reached) return { generation: record.live, checkpoint };
    if (Date.now() >= deadline) {
      throw new TributaryError(
        'PROJECTION_NOT_CAUGHT_UP',
        `projection ${JSON.stringify(name)} reached ${checkpoint}, not ${position}, in time`,
        { projection: name, position, reached: checkpoint },
      );
    }
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
  }
}
