import type { RecordedEvent } from '../../core/event.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import { recordingsIn } from '../../store/gateway-recordings.js';
import { projectionOwner, runHandling, type ReplayMode } from '../../subscriptions/handling.js';
import { handlerFor, storageNameOf, type ProjectionDefinition, type SqlSink } from '../definition/projection.js';
import { lockedPosition, movePosition, type GenerationPosition } from '../lifecycle/registry.js';

/**
 * Applies `events` (in position order) to a generation of a SQL sink, skipping
 * the ones it already has, and moves its position in the same transaction. A
 * consumer and inline appends both feed a generation through here, so each
 * event's effect happens exactly once whichever gets there first. A generation
 * that is neither live nor being built any more is left alone. `again`: the
 * consumer hands the events over again (a retry, a parked event replayed).
 */
export async function applyInOrder<Context>(
  tx: SqlTransaction,
  definition: ProjectionDefinition<Context> & { sink: SqlSink<Context> },
  generation: number,
  events: readonly RecordedEvent[],
  again = false,
): Promise<void> {
  const at = await lockedPosition(tx, definition.name, generation);
  if (at !== undefined) await applyFrom(tx, definition, generation, at, events, again);
}

/** `applyInOrder` for a caller that already holds the generation's position, locked in `tx`. */
export async function applyFrom<Context>(
  tx: SqlTransaction,
  definition: ProjectionDefinition<Context> & { sink: SqlSink<Context> },
  generation: number,
  at: GenerationPosition,
  events: readonly RecordedEvent[],
  again = false,
): Promise<void> {
  const context = definition.sink.context(tx, storageNameOf(definition.name, generation));
  const owner = projectionOwner(definition.name);
  // the gateway records in this transaction: a recording commits with the effects it answered
  const recordings = recordingsIn(tx);
  let last = at.position;
  for (const event of events) {
    if (event.position <= last) continue;
    const handler = handlerFor(definition, event.type);
    if (handler !== undefined) await runHandling({ owner, event, replay: replayOf(at, event.position, again), recordings }, () => handler(event, context));
    last = event.position;
  }
  if (last > at.position) await movePosition(tx, definition.name, at.slot, last);
}

/** A generation being built handles what the live one has handled as a rebuild; beyond it, events are met for the first time. */
function replayOf(at: GenerationPosition, position: number, again: boolean): ReplayMode {
  if (at.slot === 'buildingPosition' && position <= at.livePosition) return 'rebuild';
  return again ? 'redelivery' : false;
}
