import { join } from 'node:path';
import { TributaryError, isTributaryError } from '../../core/errors.js';
import type { EventOf, RecordedEvent, UntypedEvents } from '../../core/event.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { LogFilter } from '../../store/event-store.js';
import { normalizeFilter } from '../../store/options.js';
import { columnsProblem, type LakeColumn } from '../sinks/lake-cells.js';
import { projectionNameProblem } from './naming.js';

/** Applies one event to the sink through the context the sink gives (a transaction, a document collection, …). */
export type ProjectionHandler<Context, Event extends RecordedEvent = RecordedEvent> = (event: Event, context: Context) => unknown;

/**
 * A projection's handlers by event type. Given an event map (such as the
 * generated `TributaryEvents`), each handler's event is typed by its key and
 * only the map's types may be keys; `'*'` takes any of the map's events.
 */
export type ProjectionHandlers<Context, Events extends object = UntypedEvents> = string extends keyof Events
  ? Readonly<Record<string, ProjectionHandler<Context>>>
  : { readonly [Type in keyof Events & string]?: ProjectionHandler<Context, RecordedEvent<Type, Events[Type]>> } & {
      readonly '*'?: ProjectionHandler<Context, EventOf<Events>>;
    };

/**
 * Where a projection's state lives. A SQL sink keeps one set of tables per
 * generation, named `<projection>_g<generation>`, in the store's own database,
 * so its effects commit with the checkpoint; a lake sink writes Parquet files.
 */
export type Sink<Context> = SqlSink<Context> | LakeSink<Context>;

export interface SqlSink<Context> {
  readonly kind: 'table' | 'documents' | 'search';
  readonly storage: 'sql';
  /** Creates the empty storage of one generation: a table named `name` (dropped with its indexes, see storage.ts). */
  create(tx: SqlTransaction, name: string): Promise<void>;
  /** What handlers get for one transaction. */
  context(tx: SqlTransaction, name: string): Context;
  /** Makes generation storage `name` the one readers of `view` see (called in the switch's transaction). */
  publish?(tx: SqlTransaction, name: string, view: string): Promise<void>;
}

export interface LakeSink<Context> {
  readonly kind: 'lake';
  readonly storage: 'lake';
  /** The lake's root; each generation writes under `<directory>/<projection>/g<generation>`. */
  readonly directory: string;
  /** The row's columns (day and category are added as partitions). */
  readonly columns: readonly LakeColumn[];
  rollRows?: number;
  rollMs?: number;
  /** What handlers get: `write(values)` adds a row for the event in hand. */
  context(write: (values: Record<string, unknown>) => void): Context;
}

/**
 * A named, versioned function from events to a sink. Bump `version` when the
 * handlers change what they write: a running projection then rebuilds itself
 * side by side and switches over when the new generation has caught up.
 *
 * ```ts
 * const orders = defineProjection({
 *   name: 'orders', version: 1, sink: tableSink({ schema: (t) => [`CREATE TABLE ${t} (id TEXT PRIMARY KEY, total REAL)`] }),
 *   handlers: { OrderPlaced: (e, { tx, table }) => tx.execute(`INSERT INTO ${table} VALUES (?, ?)`, [e.stream, e.data.total]) },
 * });
 * ```
 *
 * `defineProjection<TableContext, TributaryEvents>({ … })` types each handler's
 * event by the event map; the definition it returns is an untyped one.
 */
export interface ProjectionDefinition<Context = unknown, Events extends object = UntypedEvents> {
  name: string;
  version: number;
  /**
   * Which events reach the handlers; by default the types that have a handler
   * (all of them with a `'*'` handler). With `tags`, only events carrying every
   * one of them, e.g. `{ types: ['RoomBooked'], tags: ['hotel:7'] }`.
   */
  filter?: LogFilter;
  sink: Sink<Context>;
  /** By event type; `'*'` handles every type without its own handler. */
  handlers: ProjectionHandlers<Context, Events>;
}

/** Checks a definition and settles its filter; throws INVALID_PROJECTION naming what is wrong. */
export function defineProjection<Context, Events extends object = UntypedEvents>(
  definition: ProjectionDefinition<Context, NoInfer<Events>>,
): ProjectionDefinition<Context> {
  const { name, version, handlers, sink } = definition;
  if (typeof sink !== 'object' || sink === null || (sink.storage !== 'sql' && sink.storage !== 'lake')) {
    throw invalidProjection(String(name), 'sink', 'must be a sink such as tableSink(), documentSink(), searchSink() or lakeSink()');
  }
  const nameProblem = projectionNameProblem(name, sink.storage);
  if (nameProblem !== undefined) throw invalidProjection(String(name), 'name', nameProblem);
  if (!Number.isSafeInteger(version) || version < 1) throw invalidProjection(name, 'version', 'must be an integer from 1');
  if (sink.storage === 'lake') checkLake(name, sink);
  if (typeof handlers !== 'object' || handlers === null || Object.keys(handlers).length === 0) {
    throw invalidProjection(name, 'handlers', 'must name at least one event type');
  }
  const types = Object.keys(handlers);
  const filter = definition.filter ?? (types.includes('*') ? {} : { types });
  const problem = filterProblem(filter);
  if (problem !== undefined) throw invalidProjection(name, 'filter', problem);
  // a handler only ever gets events of its own key's type, so its typed form is safe to forget
  return { ...definition, filter } as ProjectionDefinition<Context>;
}

/** What reads would refuse in `filter` (a malformed tag, say), or undefined; found at definition, not when the consumer first reads. */
export function filterProblem(filter: LogFilter): string | undefined {
  try {
    normalizeFilter(filter);
    return undefined;
  } catch (error) {
    if (!isTributaryError(error)) throw error;
    const reason = error.details['reason'];
    return typeof reason === 'string' ? reason : error.message;
  }
}

// found at definition, not at the first write: a lake registered with bad columns could never be fed
function checkLake(name: string, sink: LakeSink<unknown>): void {
  if (typeof sink.directory !== 'string' || sink.directory === '') throw invalidProjection(name, 'sink.directory', "is the lake's root directory");
  const columns: unknown = sink.columns;
  const problem = Array.isArray(columns) ? columnsProblem(sink.columns) : 'must be a list of { name, type }';
  if (problem !== undefined) throw invalidProjection(name, 'sink.columns', problem);
  for (const option of ['rollRows', 'rollMs'] as const) {
    const value = sink[option];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw invalidProjection(name, `sink.${option}`, 'must be a positive integer');
  }
}

export function invalidProjection(projection: string, field: string, reason: string): TributaryError {
  return new TributaryError('INVALID_PROJECTION', `projection ${JSON.stringify(projection)}: ${field} ${reason}`, { projection, field });
}

/** The handler for `type`, or the catch-all. */
export function handlerFor<Context>(definition: ProjectionDefinition<Context>, type: string): ProjectionHandler<Context> | undefined {
  return definition.handlers[type] ?? definition.handlers['*'];
}

/** The consumer that feeds one generation. */
export function consumerNameOf(projection: string, generation: number): string {
  return `projection:${projection}:g${generation}`;
}

/** The projection a consumer feeds, when its name is one `consumerNameOf` gives; such names belong to the projection machinery. */
export function projectionOfConsumer(consumer: string): string | undefined {
  return /^projection:(.+):g\d+$/.exec(consumer)?.[1];
}

/** The table of one generation. */
export function storageNameOf(projection: string, generation: number): string {
  return `${projection}_g${generation}`;
}

/** Where one generation of a lake projection writes. */
export function lakeDirectoryOf(root: string, projection: string, generation: number): string {
  return join(lakeProjectionDirectoryOf(root, projection), `g${generation}`);
}

/** The directory of every generation of a lake projection: removing the projection deletes it whole. */
export function lakeProjectionDirectoryOf(root: string, projection: string): string {
  return join(root, projection);
}

/** The error for a projection a removal has reached: it stays removed unless it is added (or its code started) again. */
export function projectionRemoved(projection: string): TributaryError {
  return new TributaryError('PROJECTION_NOT_FOUND', `projection ${JSON.stringify(projection)} was removed`, { projection, removed: true });
}

/** The error for a projection whose removal is not finished: retrying the removal finishes it. */
export function projectionBusy(projection: string, reason: string): TributaryError {
  return new TributaryError('PROJECTION_BUSY', `projection ${JSON.stringify(projection)} ${reason}`, { projection });
}
