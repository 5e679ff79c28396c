import { invalidArgument } from '../core/errors.js';
import { assertStreamName } from '../core/stream-name.js';
import { nonNegativeInteger } from './options.js';
import type { SqlAccess } from './sql-access.js';

/**
 * A stream's state folded up to a revision, kept so that the next load folds
 * only the events after it. Not an event: it is in no stream and not in the log.
 */
export interface Snapshot {
  stream: string;
  /** Whose state it is (a decider's), so that several folds of one stream keep their own. */
  name: string;
  /** The version of the code that folded it; a load by another version ignores it. */
  version: number;
  /** Revision of the last event folded in. */
  revision: number;
  /** Revision of the first event folded in: the snapshot holds while that is still the stream's first readable event. */
  fromRevision: number;
  /** The state as JSON text. */
  state: string;
}

/**
 * Where a store keeps snapshots: one per stream and name. Present on the
 * SQLite and PostgreSQL stores, absent on a remote one.
 *
 * ```ts
 * const kept = await store.snapshots?.read('account-12345', 'account');
 * ```
 */
export interface SnapshotStore {
  /** The snapshot kept for `stream` under `name`, or null. */
  read(stream: string, name: string): Promise<Snapshot | null>;
  /**
   * Keeps `snapshot` in place of the one kept under its name, unless that one
   * is of the same version and a higher revision: of two writers the one that
   * folded further wins, and another version of the code always replaces it.
   */
  write(snapshot: Snapshot): Promise<void>;
}

/** The longest snapshot name. */
export const MAX_SNAPSHOT_NAME_LENGTH = 100;

/** Refuses a snapshot name that is not 1-100 characters of text. */
export function assertSnapshotName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_SNAPSHOT_NAME_LENGTH) {
    throw invalidArgument('snapshot name', `must be a string of 1 to ${MAX_SNAPSHOT_NAME_LENGTH} characters, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** A row of the snapshots table; PostgreSQL answers bigint columns as text. */
interface SnapshotRow {
  version: number | string;
  revision: number | string;
  from_revision: number | string;
  state: string;
}

/** Runs the one statement of a snapshot write; a backend may give one cheaper than a transaction of its own. */
export type SnapshotWriter = (values: readonly unknown[]) => Promise<void>;

/**
 * The snapshots table of a SQL backend (migration 6), through the store's own
 * `SqlAccess`: one implementation for every SQL backend; `clock` stamps writes.
 * `writerFor` turns the write statement into its runner; by default each write
 * is a transaction of `sql`.
 */
export class SqlSnapshotStore implements SnapshotStore {
  readonly #sql: SqlAccess;
  readonly #clock: () => number;
  readonly #read: string;
  readonly #write: SnapshotWriter;

  constructor(sql: SqlAccess, clock: () => number, writerFor?: (statement: string) => SnapshotWriter) {
    const placeholders = (text: string) => sql.dialect.placeholders(text);
    this.#sql = sql;
    this.#clock = clock;
    this.#read = placeholders('SELECT version, revision, from_revision, state FROM tributary_snapshots WHERE stream = ? AND name = ?');
    // one statement: two writers of the same snapshot never leave a mix of both
    const write = placeholders(`INSERT INTO tributary_snapshots (stream, name, version, revision, from_revision, state, written_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (stream, name) DO UPDATE SET version = excluded.version, revision = excluded.revision,
          from_revision = excluded.from_revision, state = excluded.state, written_at = excluded.written_at
        WHERE excluded.version <> tributary_snapshots.version OR excluded.revision >= tributary_snapshots.revision`);
    this.#write = writerFor?.(write) ?? (async (values) => void (await sql.transaction((tx) => tx.execute(write, values))));
  }

  async read(stream: string, name: string): Promise<Snapshot | null> {
    assertStreamName(stream);
    assertSnapshotName(name);
    const [row] = await this.#sql.query<SnapshotRow>(this.#read, [stream, name]);
    if (row === undefined) return null;
    return {
      stream,
      name,
      version: Number(row.version),
      revision: Number(row.revision),
      fromRevision: Number(row.from_revision),
      state: row.state,
    };
  }

  async write(snapshot: Snapshot): Promise<void> {
    assertStreamName(snapshot.stream);
    assertSnapshotName(snapshot.name);
    const version = nonNegativeInteger('snapshot version', snapshot.version);
    const revision = nonNegativeInteger('snapshot revision', snapshot.revision);
    const fromRevision = nonNegativeInteger('snapshot fromRevision', snapshot.fromRevision);
    if (fromRevision > revision) throw invalidArgument('snapshot fromRevision', `must not be above its revision ${revision}, got ${fromRevision}`);
    if (typeof snapshot.state !== 'string') throw invalidArgument('snapshot state', 'must be JSON text');
    const values = [snapshot.stream, snapshot.name, version, revision, fromRevision, snapshot.state, this.#clock()];
    await this.#write(values);
  }
}
