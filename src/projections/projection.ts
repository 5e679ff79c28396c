import { join } from 'node:path';
import { TributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import type { SqlTransaction } from '../store/consumer-store.js';
import type { LogFilter } from '../store/event-store.js';
import type { LakeColumn } from './sinks/lake-cells.js';

/** Applies one event to the sink through the context the sink gives (a transaction, a document collection, …). */
export type ProjectionHandler<Context> = (event: RecordedEvent, context: Context) => unknown;

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
 */
export interface ProjectionDefinition<Context = unknown> {
  name: string;
  version: number;
  /** Which events reach the handlers; by default the types that have a handler (all of them with a `'*'` handler). */
  filter?: LogFilter;
  sink: Sink<Context>;
  /** By event type; `'*'` handles every type without its own handler. */
  handlers: Readonly<Record<string, ProjectionHandler<Context>>>;
}

const PROJECTION_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** Checks a definition and settles its filter; throws INVALID_PROJECTION. */
export function defineProjection<Context>(definition: ProjectionDefinition<Context>): ProjectionDefinition<Context> {
  const { name, version, handlers } = definition;
  if (typeof name !== 'string' || !PROJECTION_NAME.test(name)) {
    throw invalidProjection(String(name), 'name', 'must be 1-40 lower-case letters, digits or _, starting with a letter');
  }
  if (!Number.isSafeInteger(version) || version < 1) throw invalidProjection(name, 'version', 'must be an integer from 1');
  if (typeof handlers !== 'object' || handlers === null || Object.keys(handlers).length === 0) {
    throw invalidProjection(name, 'handlers', 'must name at least one event type');
  }
  const types = Object.keys(handlers);
  const filter = definition.filter ?? (types.includes('*') ? {} : { types });
  return { ...definition, filter };
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
  return join(root, projection, `g${generation}`);
}
