import type pg from 'pg';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import { categoryOf } from '../../core/stream-name.js';
import { carriedRows, copiedStreamOf, copiedTableOrder, copyDiverged, copyStateOf, copyTargetRefused, type CopyStateRow, type CopiedStreamRow } from '../../store/copy-rows.js';
import {
  COPIED_TABLES,
  streamTips,
  type CopiedStream,
  type CopiedTable,
  type CopyBatch,
  type CopyCheckpoint,
  type CopyHead,
  type CopyState,
  type LogCopyReads,
  type LogCopySource,
  type LogCopyTarget,
} from '../../store/log-copy.js';
import type { EventRow } from '../../store/sql-rows.js';
import { guarded } from './postgres-errors.js';
import type { Statements } from './postgres-statements.js';
import { inTransaction } from './postgres-transaction.js';
import type { PostgresWriter } from './postgres-writer.js';

const ROLES: readonly CopyState['role'][] = ['mirror', 'promoted', 'restored'];
// columns a copy leaves behind: consumer members join again on the new store
const CLEARED_COLUMNS: Partial<Record<string, string>> = { consumer_partitions: 'owner' };
// the rows a copy replaces: the target's own SQL-sink projections keep their registry rows
const REPLACED_ROWS: Partial<Record<string, string>> = { tributary_projections: 'WHERE location IS NOT NULL' };
const UNIQUE_VIOLATION = '23505';

/** What the exact copy of a PostgreSQL store needs of the store handle. */
export interface PostgresCopyParts {
  pool: pg.Pool;
  statements: Statements['copy'];
  /** The quoted schema. */
  schema: string;
  writer: PostgresWriter;
  /** The store's notification channel: a copied batch wakes its waiters and subscribers. */
  channel: string;
  clock: () => number;
  isClosed: () => boolean;
  location: string;
}

/**
 * A PostgreSQL store as the source and the target of an exact copy
 * (src/store/log-copy.ts). A batch is one call of the apply_copy function
 * (migration 9), which commits on its own: one round trip, in turn with the
 * handle's other writes. While the store is a mirror its handle refuses
 * writes with MIRROR_READ_ONLY: the role is read when the store opens, and
 * read again before a refusal, so a promote made elsewhere is seen at once.
 */
export class PostgresCopy implements LogCopySource, LogCopyTarget {
  readonly #parts: PostgresCopyParts;
  readonly #applyStatement: string;
  #storeId: string | undefined;
  /** The id of the store this one mirrors, while this handle last saw it as a mirror. */
  #mirrorOf: string | undefined;

  constructor(parts: PostgresCopyParts) {
    this.#parts = parts;
    this.#applyStatement = `tributary-apply-copy-${parts.channel}`;
  }

  /** Reads whether the store is a mirror; once, when the store opens. */
  async open(): Promise<void> {
    const row = await this.#roleRow();
    this.#mirrorOf = row?.role === 'mirror' ? row.source_id : undefined;
  }

  /**
   * Undefined while this handle knows the store as writable (no cost on the write path);
   * otherwise a look at the role that fails with MIRROR_READ_ONLY while the store is still a mirror.
   */
  writeCheck(): Promise<void> | undefined {
    return this.#mirrorOf === undefined ? undefined : this.#refuseWhileMirror();
  }

  async storeId(): Promise<string> {
    this.#storeId ??= (await this.#query<{ store_id: string }>(this.#parts.statements.storeId))[0]!.store_id;
    return this.#storeId;
  }

  async copyHead(): Promise<CopyHead> {
    const [row] = await this.#query<{ head: number; last_change: number }>(this.#parts.statements.head);
    return { head: row!.head, lastChange: row!.last_change };
  }

  readCopyEvents(after: number, until: number, limit: number): Promise<EventRow[]> {
    return this.#arrays<EventRow>(this.#parts.statements.events, [after, until, limit]);
  }

  async readStreamChanges(afterChange: number, limit: number): Promise<CopiedStream[]> {
    return (await this.#arrays<CopiedStreamRow>(this.#parts.statements.streamChanges, [afterChange, limit])).map(copiedStreamOf);
  }

  readTables(): Promise<CopiedTable[]> {
    const { pool, isClosed, schema } = this.#parts;
    return inTransaction(pool, isClosed, async (client) => {
      // every table as of one moment
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return tablesOf(client, schema);
    });
  }

  /** Reads in one REPEATABLE READ, READ ONLY transaction: a snapshot the writers' commits do not change. */
  snapshot<T>(read: (view: LogCopyReads) => Promise<T>): Promise<T> {
    const { pool, isClosed, schema, statements } = this.#parts;
    return inTransaction(pool, isClosed, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const arrays = async <Row extends unknown[]>(text: string, values: unknown[]) => (await client.query<Row>({ text, values, rowMode: 'array' })).rows;
      return read({
        async copyHead() {
          const { rows } = await client.query<{ head: number; last_change: number }>(statements.head);
          return { head: rows[0]!.head, lastChange: rows[0]!.last_change };
        },
        readCopyEvents: (after, until, limit) => arrays<EventRow>(statements.events, [after, until, limit]),
        readStreamChanges: async (afterChange, limit) => (await arrays<CopiedStreamRow>(statements.streamChanges, [afterChange, limit])).map(copiedStreamOf),
        readTables: () => tablesOf(client, schema),
      });
    });
  }

  async copyState(): Promise<CopyState | undefined> {
    const [row] = await this.#query<CopyStateRow>(this.#parts.statements.state);
    return row === undefined ? undefined : copyStateOf(row);
  }

  async isEmpty(): Promise<boolean> {
    const [row] = await this.#query<{ empty: boolean }>(this.#parts.statements.emptiness);
    return row!.empty;
  }

  async beginCopy(sourceId: string, sourceLocation: string, role: CopyState['role']): Promise<void> {
    if (!ROLES.includes(role)) throw invalidArgument('role', `must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
    const { statements, writer, clock, location } = this.#parts;
    await writer.transaction('store.copyTarget.beginCopy', async (client) => {
      const { rows } = await client.query<{ store_id: string; empty: boolean }>(statements.emptiness);
      const { store_id: ownId, empty } = rows[0]!;
      if (ownId === sourceId) {
        throw new TributaryError('MIRROR_TARGET_REFUSED', `${location} is the store ${sourceId} itself: a store cannot be a copy of itself`, {
          reason: 'same-store',
          location,
        });
      }
      if (!empty) {
        throw new TributaryError('MIRROR_TARGET_REFUSED', `${location} is not an empty store (it has events, streams, consumers, tokens, projections or a copy): nothing was written`, {
          reason: 'not-empty',
          location,
        });
      }
      await client.query(statements.begin, [sourceId, sourceLocation, role, clock()]);
    });
    this.#mirrorOf = role === 'mirror' ? sourceId : undefined;
  }

  async applyCopy(from: CopyCheckpoint, batch: CopyBatch): Promise<void> {
    const { writer, statements, channel, clock } = this.#parts;
    const values = [from.position, from.change, ...eventColumns(batch.events)];
    values.push(
      batch.changes.length === 0 ? null : JSON.stringify(batch.changes),
      batch.checkpoint.position,
      batch.checkpoint.change,
      batch.head,
      batch.sourceHead,
      clock(),
      channel,
    );
    const found = await writer.call('store.copyTarget.applyCopy', async (client) => {
      try {
        const { rows } = await client.query<{ found: string[] | null }>({ name: this.#applyStatement, text: statements.apply, values });
        return rows[0]!.found;
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(from, (error as { detail?: string }).detail);
        throw error;
      }
    });
    if (found?.length === 3) throw copyTargetRefused('promoted', `${this.#parts.location} was promoted to a store of its own; a copy no longer writes into it`);
    if (found !== null) throw copyDiverged(from, found.length === 0 ? null : { position: Number(found[0]), change: Number(found[1]) });
  }

  async replaceTables(tables: readonly CopiedTable[]): Promise<void> {
    for (const { table } of tables) {
      if (!(COPIED_TABLES as readonly string[]).includes(table)) throw invalidArgument('table', `must be one of ${COPIED_TABLES.join(', ')}, got ${JSON.stringify(table)}`);
    }
    const { writer, schema } = this.#parts;
    await writer.transaction('store.copyTarget.replaceTables', async (client) => {
      for (const table of COPIED_TABLES) await client.query(`DELETE FROM ${schema}.${table} ${REPLACED_ROWS[table] ?? ''}`);
      for (const { table, columns, rows } of tables) {
        const target = `${schema}.${table}`;
        const existing = new Set((await client.query(`SELECT * FROM ${target} LIMIT 0`)).fields.map((field) => field.name));
        // a column this version does not have stays behind; the rest pass through json, which casts each to its column's type
        const kept = columns.flatMap((column, index) => (existing.has(column) ? [{ column, index }] : []));
        if (rows.length === 0 || kept.length === 0) continue;
        const records = rows.map((row) => Object.fromEntries(kept.map(({ column, index }) => [column, row[index]])));
        const list = kept.map(({ column }) => `"${column}"`).join(', ');
        await client.query(`INSERT INTO ${target} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${target}, $1::json)`, [
          JSON.stringify(records),
        ]);
      }
    });
  }

  async updateCopyState(change: Partial<Pick<CopyState, 'role' | 'promoteRequestedAt' | 'sourceHead'>>): Promise<void> {
    if (change.role !== undefined && !ROLES.includes(change.role)) {
      throw invalidArgument('role', `must be one of ${ROLES.join(', ')}, got ${JSON.stringify(change.role)}`);
    }
    const { writer, statements, clock, location } = this.#parts;
    const values = [change.role ?? null, change.promoteRequestedAt !== undefined, change.promoteRequestedAt ?? null, change.sourceHead ?? null, clock()];
    const row = await writer.transaction(
      'store.copyTarget.updateCopyState',
      async (client) => (await client.query<{ role: string; source_id: string }>(statements.update, values)).rows[0],
    );
    if (row === undefined) throw new TributaryError('NOT_A_MIRROR', `${location} is not a copy of another store`, { location });
    this.#mirrorOf = row.role === 'mirror' ? row.source_id : undefined;
  }

  async #refuseWhileMirror(): Promise<void> {
    const row = await this.#roleRow();
    if (row?.role === 'mirror') {
      this.#mirrorOf = row.source_id;
      throw new TributaryError(
        'MIRROR_READ_ONLY',
        `${this.#parts.location} is a mirror of the store ${row.source_id}: it takes no writes until it is promoted`,
        { source: row.source_id },
      );
    }
    this.#mirrorOf = undefined;
  }

  async #roleRow(): Promise<{ role: string; source_id: string } | undefined> {
    return (await this.#query<{ role: string; source_id: string }>(this.#parts.statements.role))[0];
  }

  #query<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<Row[]> {
    const { pool, isClosed } = this.#parts;
    return guarded(isClosed, async () => (await pool.query<Row>(text, values)).rows);
  }

  #arrays<Row extends unknown[]>(text: string, values: unknown[]): Promise<Row[]> {
    const { pool, isClosed } = this.#parts;
    return guarded(isClosed, async () => (await pool.query<Row>({ text, values, rowMode: 'array' })).rows);
  }
}

/**
 * The batch's streams (names and categories) and its events, one array per column, in apply_copy's parameter order.
 * The data, most of a batch's bytes, travels as one binary parameter with each event's end in it: no array quoting.
 */
function eventColumns(events: readonly EventRow[]): unknown[] {
  const streams = [...streamTips(events).keys()];
  const count = events.length;
  const positions = new Array<number>(count);
  const ids = new Array<string>(count);
  const names = new Array<string>(count);
  const revisions = new Array<number>(count);
  const types = new Array<string>(count);
  const recorded = new Array<number>(count);
  const metadata = new Array<string | null>(count);
  const dataEnds = new Array<number>(count);
  const tags = new Array<string | null>(count);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const row = events[i]!;
    [positions[i], ids[i], names[i], revisions[i], types[i], recorded[i], metadata[i]] = row;
    tags[i] = row[8];
    bytes += Buffer.byteLength(row[7]);
    dataEnds[i] = bytes;
  }
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0, at = 0; i < count; i++) at += data.write(events[i]![7], at);
  return [streams, streams.map(categoryOf), positions, ids, names, revisions, types, recorded, metadata, data, dataEnds, tags];
}

/** The rows of COPIED_TABLES, read on `client` (inside a transaction, as of its snapshot). */
async function tablesOf(client: pg.PoolClient, schema: string): Promise<CopiedTable[]> {
  const tables: CopiedTable[] = [];
  for (const table of COPIED_TABLES) {
    const carried = carriedRows(table, `${schema}.`);
    const where = carried === undefined ? '' : `WHERE ${carried}`;
    const result = await client.query<unknown[]>({ text: `SELECT * FROM ${schema}.${table} ${where} ORDER BY ${copiedTableOrder(table, 'COLLATE "C"')}`, rowMode: 'array' });
    const columns = result.fields.map((field) => field.name);
    const cleared = columns.indexOf(CLEARED_COLUMNS[table] ?? '');
    // booleans travel as 0 and 1, as SQLite keeps them
    const rows = result.rows.map((row) => row.map((value, i) => (i === cleared ? null : typeof value === 'boolean' ? Number(value) : value)));
    tables.push({ table, columns, rows });
  }
  return tables;
}

function conflict(expected: CopyCheckpoint, detail: string | undefined): TributaryError {
  return new TributaryError(
    'MIRROR_DIVERGED',
    `the target already holds an event the batch brings (${detail ?? 'a unique key'}): something other than the copy wrote to it; nothing was written`,
    { expected, found: expected, conflict: detail ?? null },
  );
}
