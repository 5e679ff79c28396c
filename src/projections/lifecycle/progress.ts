import { TributaryError } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import { consumerNameOf, lakeDirectoryOf } from '../definition/projection.js';
import { requireProjection, sqlOf, type ProjectionRecord } from './registry.js';
import { readManifest } from '../sinks/lake-manifest.js';

/**
 * Whether a generation has handled everything its filter selects up to
 * `position`: it has applied that far (by its consumer, by inline appends, or
 * into a lake's manifest), or no selected event lies between.
 */
export async function generationReached(
  store: EventStore,
  record: ProjectionRecord,
  generation: number,
  position: number,
): Promise<{ reached: boolean; checkpoint: number }> {
  const consumer = await store.consumers.get(consumerNameOf(record.name, generation));
  const applied =
    record.location !== null
      ? (readManifest(lakeDirectoryOf(record.location, record.name, generation))?.position ?? 0)
      : generation === record.live
        ? record.livePosition
        : generation === record.building
          ? (record.buildingPosition ?? 0)
          : 0;
  const checkpoint = Math.max(applied, ...(consumer?.partitions.map((partition) => partition.checkpoint) ?? [0]));
  if (checkpoint >= position) return { reached: true, checkpoint };
  if (consumer === undefined) return { reached: false, checkpoint };
  // the head is read first: anything appended after it shows up in the read below
  const head = await store.headPosition();
  const next = await store.readAll({ ...consumer.filter, after: checkpoint, limit: 1 });
  if (next.events.length > 0) return { reached: next.events[0]!.position > position, checkpoint };
  return { reached: head >= position, checkpoint };
}

export interface WaitForProjectionOptions {
  /** Throw PROJECTION_NOT_CAUGHT_UP after this long; default 5,000 ms. */
  timeoutMs?: number;
  /** Aborting it stops the wait, which rejects with the signal's reason. */
  signal?: AbortSignal;
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
  options: WaitForProjectionOptions = {},
): Promise<{ generation: number; checkpoint: number }> {
  const sql = sqlOf(store, name);
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    const record = await requireProjection(sql, name);
    const { reached, checkpoint } = await generationReached(store, record, record.live, position);
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
