import type { RecordedEvent } from '../../core/event.js';
import type { LakeSink } from '../definition/projection.js';
import { currentReplayMode, type ReplayMode } from '../../subscriptions/handling.js';
import { JsonText, type LakeColumn } from './lake-cells.js';

/** What a lake projection's handlers get: `write` adds one row for the event in hand. */
export interface LakeContext {
  write(values: Record<string, unknown>): void;
  /** False on the first handling of the event; else how it is met again (see docs/gateway.md). */
  readonly replay: ReplayMode;
}

export interface LakeSinkOptions {
  /** The lake's root directory; a projection writes under `<directory>/<name>/g<generation>/`. */
  directory: string;
  /** The columns of a row (the event's day and category are added as partitions). Default: the event itself. */
  columns?: readonly LakeColumn[];
  /** Roll files at this many buffered rows (default 100,000)… */
  rollRows?: number;
  /** …or when the oldest buffered row is this old (default 60,000 ms). */
  rollMs?: number;
}

/** The columns of the default feed before events had tags: a generation begun with them keeps them. */
export const UNTAGGED_EVENT_COLUMNS: readonly LakeColumn[] = [
  { name: 'position', type: 'BIGINT' },
  { name: 'stream', type: 'VARCHAR' },
  { name: 'type', type: 'VARCHAR' },
  { name: 'revision', type: 'BIGINT' },
  { name: 'id', type: 'VARCHAR' },
  { name: 'recorded_at', type: 'TIMESTAMP' },
  { name: 'data', type: 'JSON' },
  { name: 'metadata', type: 'JSON' },
];

/** The columns of the default feed: each event as a row, its tags a JSON array. */
export const EVENT_COLUMNS: readonly LakeColumn[] = [...UNTAGGED_EVENT_COLUMNS, { name: 'tags', type: 'JSON' }];

const NO_TAGS = new JsonText('[]');

/** The default feed's row for `event`. */
export function eventRow(event: RecordedEvent): Record<string, unknown> {
  return {
    position: event.position,
    stream: event.stream,
    type: event.type,
    revision: event.revision,
    id: event.id,
    recorded_at: event.recordedAtMillis,
    // the stored JSON text goes through untouched
    data: new JsonText(event.dataJson),
    metadata: event.metadataJson === null ? null : new JsonText(event.metadataJson),
    tags: event.tags.length === 0 ? NO_TAGS : new JsonText(JSON.stringify(event.tags)),
  };
}

/**
 * The columns a generation goes on writing: `columns`, except that a default
 * feed whose lake was begun before events had tags keeps its untagged columns,
 * so an upgrade neither refuses the lake nor mixes two schemas in one
 * generation. A rebuild writes the tags.
 */
export function columnsToWrite(columns: readonly LakeColumn[], written: readonly LakeColumn[] | undefined): readonly LakeColumn[] {
  const same = (a: readonly LakeColumn[], b: readonly LakeColumn[]) => a.length === b.length && a.every((column, i) => column.name === b[i]!.name && column.type === b[i]!.type);
  return columns === EVENT_COLUMNS && written !== undefined && same(written, UNTAGGED_EVENT_COLUMNS) ? UNTAGGED_EVENT_COLUMNS : columns;
}

/**
 * A projection that writes rows to Parquet files partitioned by day and
 * category, rolled by size or time, listed in a manifest; DuckDB, pandas or
 * Spark read them. Without handlers' own columns each event is a row.
 *
 * ```ts
 * defineProjection({ name: 'events', version: 1, sink: lakeSink({ directory: './lake' }), handlers: { '*': writeEvent } });
 * ```
 */
export function lakeSink(options: LakeSinkOptions): LakeSink<LakeContext> {
  return {
    kind: 'lake',
    storage: 'lake',
    directory: options.directory,
    columns: options.columns ?? EVENT_COLUMNS,
    rollRows: options.rollRows,
    rollMs: options.rollMs,
    context: (write) => ({
      write,
      get replay() {
        return currentReplayMode();
      },
    }),
  };
}

/** The handler of the default feed: the event as a row. */
export function writeEvent(event: RecordedEvent, lake: LakeContext): void {
  lake.write(eventRow(event));
}
