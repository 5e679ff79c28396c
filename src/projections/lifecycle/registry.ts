import { TributaryError } from '../../core/errors.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { EventStore } from '../../store/event-store.js';
import type { SqlAccess } from '../../store/sql-access.js';

/** One projection as the store records it: which generation readers see, which is being built, which waits to be dropped. */
export interface ProjectionRecord {
  name: string;
  sink: string;
  /** `inline`: written in the appends' own transactions; `async`: fed by a consumer per generation. */
  mode: 'async' | 'inline';
  live: number;
  liveVersion: number;
  /** The last event a SQL sink's live generation applied; moved in the transaction that applied it. */
  livePosition: number;
  building: number | null;
  buildingVersion: number | null;
  buildingPosition: number | null;
  retired: number | null;
  /** A declarative projection's definition file; null for a code projection. */
  definition: unknown;
  /** A lake projection's root directory (absolute), so `tributary lake query` finds its files. */
  location: string | null;
  updatedAt: number;
}

/** A record that may be a removal under way: its tables are gone, its checkpoints and files may not be yet. */
export type RegistryEntry = ProjectionRecord & { removing: boolean };

const TABLE = 'tributary_projections';

// set when a removal starts; the row goes when its checkpoints and files are gone, so a failed removal can be finished
const REMOVED_AT = 'removed_at';
const ALIVE = `${REMOVED_AT} IS NULL`;

interface Row {
  name: string;
  sink: string;
  mode: 'async' | 'inline';
  live: number;
  live_version: number;
  live_position: number | string;
  building: number | null;
  building_version: number | null;
  building_position: number | string | null;
  retired: number | null;
  definition: string | null;
  location: string | null;
  updated_at: number | string;
  removed_at: number | string | null;
}

/** The store's SQL, or PROJECTION_UNSUPPORTED (a remote store keeps no projection tables). */
export function sqlOf(store: EventStore, projection: string): SqlAccess {
  if (store.sql === undefined) {
    throw new TributaryError(
      'PROJECTION_UNSUPPORTED',
      `projection ${JSON.stringify(projection)} needs the store's own database; ${store.location} is a remote store`,
      { projection, needs: 'sql' },
    );
  }
  return store.sql;
}

export async function listProjections(sql: SqlAccess): Promise<ProjectionRecord[]> {
  return (await sql.query<Row>(`SELECT * FROM ${TABLE} WHERE ${ALIVE} ORDER BY name`)).map(recordOf);
}

/** The projection `name`, unless there is none or it is being removed. */
export async function getProjection(db: Pick<SqlTransaction, 'dialect' | 'query'>, name: string): Promise<ProjectionRecord | undefined> {
  const rows = await db.query<Row>(db.dialect.placeholders(`SELECT * FROM ${TABLE} WHERE name = ? AND ${ALIVE}`), [name]);
  return rows[0] === undefined ? undefined : recordOf(rows[0]);
}

/** The registry's row for `name`, a removal under way included. */
export async function getRegistryEntry(db: Pick<SqlTransaction, 'dialect' | 'query'>, name: string): Promise<RegistryEntry | undefined> {
  const rows = await db.query<Row>(db.dialect.placeholders(`SELECT * FROM ${TABLE} WHERE name = ?`), [name]);
  return rows[0] === undefined ? undefined : { ...recordOf(rows[0]), removing: rows[0].removed_at !== null };
}

/**
 * The projection `name` read under a row lock on PostgreSQL (SQLite has one
 * writer), or undefined when it is gone or being removed: whoever writes the
 * projection's tables takes turns with a removal that drops them.
 */
export async function lockProjection(tx: SqlTransaction, name: string): Promise<ProjectionRecord | undefined> {
  const select = tx.dialect.selectForUpdate(`SELECT * FROM ${TABLE} WHERE name = ? AND ${ALIVE}`);
  const rows = await tx.query<Row>(tx.dialect.placeholders(select), [name]);
  return rows[0] === undefined ? undefined : recordOf(rows[0]);
}

/** The record of `name`, or PROJECTION_NOT_FOUND. */
export async function requireProjection(sql: SqlAccess, name: string): Promise<ProjectionRecord> {
  const record = await getProjection(sql, name);
  if (record === undefined) {
    throw new TributaryError('PROJECTION_NOT_FOUND', `no projection named ${JSON.stringify(name)} is registered`, { projection: name });
  }
  return record;
}

export async function insertProjection(tx: SqlTransaction, record: Omit<ProjectionRecord, 'updatedAt'>): Promise<void> {
  await tx.execute(
    tx.dialect.placeholders(
      `INSERT INTO ${TABLE} (name, sink, mode, live, live_version, live_position, building, building_version, building_position,
         retired, definition, location, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    [
      record.name,
      record.sink,
      record.mode,
      record.live,
      record.liveVersion,
      record.livePosition,
      record.building,
      record.buildingVersion,
      record.buildingPosition,
      record.retired,
      record.definition === null ? null : JSON.stringify(record.definition),
      record.location,
      Date.now(),
    ],
  );
}

type Changes = Partial<
  Pick<ProjectionRecord, 'live' | 'liveVersion' | 'livePosition' | 'building' | 'buildingVersion' | 'buildingPosition' | 'retired' | 'definition'>
>;

const COLUMNS: Record<keyof Changes, string> = {
  live: 'live',
  liveVersion: 'live_version',
  livePosition: 'live_position',
  building: 'building',
  buildingVersion: 'building_version',
  buildingPosition: 'building_position',
  retired: 'retired',
  definition: 'definition',
};

/** Applies `changes` when the record still has the generations `expected` says; returns whether it did. */
export async function updateProjection(
  tx: SqlTransaction,
  name: string,
  expected: Pick<ProjectionRecord, 'live' | 'building'>,
  changes: Changes,
): Promise<boolean> {
  const keys = Object.keys(changes) as (keyof Changes)[];
  const values = keys.map((key) => (key === 'definition' ? JSON.stringify(changes[key]) : changes[key]));
  const sets = [...keys.map((key) => `${COLUMNS[key]} = ?`), 'updated_at = ?'].join(', ');
  const { changes: updated } = await tx.execute(
    tx.dialect.placeholders(`UPDATE ${TABLE} SET ${sets} WHERE name = ? AND live = ? AND building IS NOT DISTINCT FROM ? AND ${ALIVE}`),
    [...values, Date.now(), name, expected.live, expected.building],
  );
  return updated === 1;
}

/**
 * Makes the generation being built the one readers see, and the old one retired,
 * when the record still has the generations `expected` says. The positions are
 * copied inside the statement: a value read earlier may already be stale.
 */
export async function switchGenerations(tx: SqlTransaction, name: string, expected: Pick<ProjectionRecord, 'live' | 'building'>): Promise<boolean> {
  const { changes } = await tx.execute(
    tx.dialect.placeholders(
      `UPDATE ${TABLE} SET live = building, live_version = building_version, live_position = building_position, retired = live,
         building = NULL, building_version = NULL, building_position = NULL, updated_at = ?
       WHERE name = ? AND live = ? AND building = ? AND ${ALIVE}`,
    ),
    [Date.now(), name, expected.live, expected.building],
  );
  return changes === 1;
}

/**
 * Where generation `generation` of `name` stands, read under a row lock on
 * PostgreSQL: an inline append and a feeding consumer that both want to apply
 * events to it take turns, so neither applies what the other did.
 */
export async function lockedPosition(tx: SqlTransaction, name: string, generation: number): Promise<GenerationPosition | undefined> {
  const record = await lockProjection(tx, name);
  if (record === undefined) return undefined;
  const { livePosition } = record;
  if (record.live === generation) return { slot: 'livePosition', position: livePosition, livePosition };
  if (record.building === generation) return { slot: 'buildingPosition', position: record.buildingPosition ?? 0, livePosition };
  return undefined;
}

/** Where a generation stands, and which column of the registry holds it. */
export interface GenerationPosition {
  slot: 'livePosition' | 'buildingPosition';
  position: number;
  /** Where the live generation stands: a generation being built handles the events up to here again, as a rebuild. */
  livePosition: number;
}

export async function movePosition(tx: SqlTransaction, name: string, slot: 'livePosition' | 'buildingPosition', position: number): Promise<void> {
  await tx.execute(tx.dialect.placeholders(`UPDATE ${TABLE} SET ${COLUMNS[slot]} = ? WHERE name = ?`), [position, name]);
}

/** Starts the removal of `name`: from now on it reads as gone, except to `getRegistryEntry`. */
export async function markRemoving(tx: SqlTransaction, name: string): Promise<void> {
  await tx.execute(tx.dialect.placeholders(`UPDATE ${TABLE} SET ${REMOVED_AT} = ? WHERE name = ? AND ${ALIVE}`), [Date.now(), name]);
}

/** Ends the removal of `name`, once nothing else of it is left. */
export async function deleteProjection(tx: SqlTransaction, name: string): Promise<void> {
  await tx.execute(tx.dialect.placeholders(`DELETE FROM ${TABLE} WHERE name = ? AND ${REMOVED_AT} IS NOT NULL`), [name]);
}

function recordOf(row: Row): ProjectionRecord {
  return {
    name: row.name,
    sink: row.sink,
    mode: row.mode,
    live: Number(row.live),
    liveVersion: Number(row.live_version),
    livePosition: Number(row.live_position),
    building: row.building === null ? null : Number(row.building),
    buildingVersion: row.building_version === null ? null : Number(row.building_version),
    buildingPosition: row.building_position === null ? null : Number(row.building_position),
    retired: row.retired === null ? null : Number(row.retired),
    definition: row.definition === null ? null : (JSON.parse(row.definition) as unknown),
    location: row.location,
    updatedAt: Number(row.updated_at),
  };
}
