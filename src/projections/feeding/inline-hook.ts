import type { RecordedEvent } from '../../core/event.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import { filterMatches, normalizeFilter } from '../../store/options.js';
import type { InlineHook, LogReader } from '../../store/sql-access.js';
import { applyFrom } from './apply.js';
import type { ProjectionDefinition, SqlSink } from '../definition/projection.js';
import { getProjection, lockedPosition } from '../lifecycle/registry.js';

// an inline append closes at most this many events of a gap itself; a longer one is left to the consumer
const MOST_CAUGHT_UP = 1_000;

/**
 * The hook that applies an append to the projection in the append's own
 * transaction: to the live generation (a throw fails the append) and to a
 * generation being built (a throw there is left to its consumer to retry and
 * park). Each generation first gets the events it is missing before the append,
 * when there are few; when there are many, it is still being built from history,
 * and its consumer applies them all in order.
 */
export function inlineHook<Context>(definition: ProjectionDefinition<Context> & { sink: SqlSink<Context> }): InlineHook {
  // the same matching the log's reads do, so the hook and the projection's consumer select the same events
  const filter = normalizeFilter(definition.filter ?? {});
  return async (events, tx, readLog) => {
    const selected = events.filter((event) => filterMatches(filter, event.stream, event.type, event.tags));
    if (selected.length === 0) return;
    const record = await getProjection(tx, definition.name);
    if (record === undefined) return;
    if (record.liveVersion === definition.version) await applyWithGap(tx, definition, record.live, selected, readLog);
    if (record.building !== null && record.buildingVersion === definition.version) {
      await tx.execute('SAVEPOINT tributary_building');
      try {
        await applyWithGap(tx, definition, record.building, selected, readLog);
        await tx.execute('RELEASE SAVEPOINT tributary_building');
      } catch {
        // the new generation's failure must not fail the append: its consumer meets the event again
        await tx.execute('ROLLBACK TO SAVEPOINT tributary_building');
        await tx.execute('RELEASE SAVEPOINT tributary_building');
      }
    }
  };
}

async function applyWithGap<Context>(
  tx: SqlTransaction,
  definition: ProjectionDefinition<Context> & { sink: SqlSink<Context> },
  generation: number,
  appended: readonly RecordedEvent[],
  readLog: LogReader,
): Promise<void> {
  const first = appended[0]!.position;
  // locked before the gap is read: a consumer applying the same generation waits, so the gap is measured from where it really is
  const at = await lockedPosition(tx, definition.name, generation);
  if (at === undefined) return;
  const gap: RecordedEvent[] = [];
  if (at.position < first - 1) {
    const page = await readLog({ ...definition.filter, after: at.position, limit: MOST_CAUGHT_UP + 1 });
    for (const event of page.events) if (event.position < first) gap.push(event);
    if (gap.length > MOST_CAUGHT_UP) return;
  }
  await applyFrom(tx, definition, generation, at, [...gap, ...appended]);
}
