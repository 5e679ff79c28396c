import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TributaryError } from '../../core/errors.js';
import { readAnswer, type LakeAnswer } from './lake-answer.js';
import type { LakeColumn } from './lake-cells.js';
import { lakeQueryLimits, type LakeLimits, type LakeQueryLimits } from './lake-limits.js';
import { readManifest } from './lake-manifest.js';
import { PROCESS_LAKE_SLOTS, type LakeQuerySlots } from './lake-slots.js';
import { readOnlyStatement } from './lake-statement.js';
import { LakeQueryStop } from './lake-stop.js';

/** A lake to query, and the view name it goes by in the SQL. */
export interface LakeTable {
  name: string;
  directory: string;
}

/** How one lake query is limited, and how its caller can stop it. */
export interface LakeQueryOptions extends Partial<LakeLimits> {
  /** Most rows the answer carries, from 1 to `maxRows`; default `defaultRows`. */
  limit?: number;
  /** Aborting it interrupts the query, which rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The slots the query takes one of for as long as it runs; default the process's. */
  slots?: LakeQuerySlots;
}

/** A lake as its manifest describes it: the view's columns, and its files as absolute paths. */
interface LakeFiles {
  name: string;
  columns: readonly LakeColumn[];
  files: string[];
}

/**
 * Runs `sql` in a fresh in-memory DuckDB where every lake is a view named `name` over the files its manifest
 * lists, with the hive partitions as columns: `day` a DATE, `category` a VARCHAR. A lake without files is an
 * empty view of its columns plus day and category (only day and category when it has no manifest yet).
 *
 * Only one read-only SELECT runs (LAKE_QUERY_REFUSED otherwise, before anything ran); it reads the files the
 * manifests list and nothing else. The answer holds at most `limit` rows (default 10,000) and `maxAnswerBytes`,
 * read from DuckDB a chunk at a time, with `truncated` telling whether more existed. The call ends within
 * `timeoutMs` (LAKE_QUERY_TIMEOUT) or when `signal` aborts, interrupting DuckDB; DuckDB runs on one thread within
 * `memoryMb` (LAKE_QUERY_OUT_OF_MEMORY); a process runs `slots.size` queries at once (LAKE_BUSY beyond).
 * Rows come back JSON-safe (see `jsonSafe`); DuckDB's other errors become LAKE_QUERY_FAILED.
 *
 * ```ts
 * await queryLake([{ name: 'orders', directory: 'data/lake/orders-1' }], 'SELECT category, count(*) AS n FROM orders GROUP BY ALL')
 * // { rows: [{ category: 'order', n: 42 }], truncated: false }
 * ```
 */
export async function queryLake(tables: readonly LakeTable[], sql: string, options: LakeQueryOptions = {}): Promise<LakeAnswer> {
  const { limit, signal, slots = PROCESS_LAKE_SLOTS, ...limits } = options;
  const resolved = lakeQueryLimits(limits, limit);
  const release = slots.take();
  const stop = new LakeQueryStop(resolved.timeoutMs, signal);
  // the slot stays taken until DuckDB has let go, though the caller hears of a stop at once
  const answer = run(tables, sql, resolved, stop).finally(release);
  return Promise.race([answer, stop.stopped]);
}

async function run(tables: readonly LakeTable[], sql: string, limits: LakeQueryLimits, stop: LakeQueryStop): Promise<LakeAnswer> {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    stop.check();
    instance = await DuckDBInstance.create(':memory:', engineConfig(limits.memoryMb));
    connection = await instance.connect();
    stop.watch(connection);
    const lakes = tables.map(lakeFiles);
    for (const lake of lakes) {
      stop.check();
      await connection.run(`CREATE VIEW ${quoteIdentifier(lake.name)} AS ${lakeSelect(lake)}`);
    }
    await confineToFiles(connection, lakes);
    stop.check();
    const statement = await readOnlyStatement(connection, sql, lakes.map(lakeStub));
    stop.check();
    return await readAnswer(await statement.stream(), { rows: limits.rows, maxBytes: limits.maxAnswerBytes }, () => stop.check());
  } catch (error) {
    if (stop.why !== undefined) throw stop.why.reason;
    throw lakeError(error, sql, limits);
  } finally {
    stop.dispose();
    connection?.closeSync();
    instance?.closeSync();
  }
}

function engineConfig(memoryMb: number): Record<string, string> {
  return {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    // no spilling: a query fits its memory or stops, and DuckDB writes no temporary files (nor allows reading them)
    temp_directory: '',
    // DuckDB works on the libuv thread that awaits it, and leaves the other cores to the event loop
    threads: '1',
    memory_limit: `${memoryMb}MiB`,
  };
}

function lakeFiles(table: LakeTable): LakeFiles {
  const directory = resolve(table.directory);
  const manifest = readManifest(directory);
  return {
    name: table.name,
    columns: manifest?.columns ?? [],
    files: (manifest?.files ?? []).map(({ path }) => join(directory, ...path.split('/'))),
  };
}

function lakeSelect(lake: LakeFiles): string {
  if (lake.files.length === 0) return emptySelect(lake.columns);
  const selected = [...lake.columns.map(({ name }) => quoteIdentifier(name)), 'day', 'category'].join(', ');
  // explicit hive types: DuckDB would otherwise guess, and read a category such as '123' as a number
  return (
    `SELECT ${selected} FROM read_parquet([${lake.files.map(sqlString).join(', ')}], hive_partitioning = true, union_by_name = true, ` +
    `hive_types = {'day': DATE, 'category': VARCHAR})`
  );
}

function emptySelect(columns: readonly LakeColumn[]): string {
  const typed = columns.map(({ name, type }) => `CAST(NULL AS ${type}) AS ${quoteIdentifier(name)}`);
  return `SELECT ${[...typed, 'CAST(NULL AS DATE) AS day', 'CAST(NULL AS VARCHAR) AS category'].join(', ')} WHERE false`;
}

/** The lake as an empty table of its columns, for naming a refused statement where no file can be reached. */
function lakeStub(lake: LakeFiles): string {
  return `CREATE TABLE ${quoteIdentifier(lake.name)} AS ${emptySelect(lake.columns)}`;
}

// the SQL may come from a remote caller: it may read the files the manifests list, and no other file on this machine
async function confineToFiles(connection: DuckDBConnection, lakes: readonly LakeFiles[]): Promise<void> {
  const files = lakes.flatMap((lake) => lake.files);
  // exact files, not directories: DuckDB may also write where it may read, and a lake directory must stay as its writer left it
  if (files.length > 0) await connection.run(`SET allowed_paths = [${files.map(sqlString).join(', ')}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

function lakeError(error: unknown, sql: string, limits: LakeQueryLimits): TributaryError {
  if (error instanceof TributaryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('Out of Memory Error')) {
    return new TributaryError(
      'LAKE_QUERY_OUT_OF_MEMORY',
      `the lake query needed more than its ${limits.memoryMb} MiB: ${message.split('\n')[0]}`,
      { memoryMb: limits.memoryMb },
      { cause: error },
    );
  }
  return new TributaryError('LAKE_QUERY_FAILED', message, { sql }, { cause: error });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
