import { join, resolve } from 'node:path';
import {
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  JsonDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';
import { TributaryError } from '../../core/errors.js';
import type { LakeColumn } from './lake-cells.js';
import { readManifest } from './lake-manifest.js';

/** A lake to query, and the view name it goes by in the SQL. */
export interface LakeTable {
  name: string;
  directory: string;
}

/**
 * Runs `sql` in a fresh in-memory DuckDB where every lake is a view named `name` over the files its manifest
 * lists, with the hive partitions as columns: `day` a DATE, `category` a VARCHAR. A lake without files is an
 * empty view of its columns plus day and category (only day and category when it has no manifest yet).
 *
 * Rows come back JSON-safe: BIGINT and HUGEINT as numbers when safe integers, else strings; DECIMAL as numbers;
 * DATE (so `day`) as 'YYYY-MM-DD'; TIMESTAMP as ISO strings in UTC ('2024-05-01T12:00:00.000Z'); JSON columns as their text.
 * `sql` is one statement, and may read only the lakes' directories: other files, COPY TO and extension installs are refused.
 * DuckDB's errors become LAKE_QUERY_FAILED.
 *
 * ```ts
 * await queryLake([{ name: 'orders', directory: 'data/lake/orders-1' }], 'SELECT category, count(*) AS n FROM orders GROUP BY ALL')
 * // [{ category: 'order', n: 42 }]
 * ```
 */
export async function queryLake(tables: readonly LakeTable[], sql: string): Promise<Record<string, unknown>[]> {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    connection = await instance.connect();
    for (const table of tables) await connection.run(viewSql(table));
    await confineToLakes(connection, tables);
    // with several statements DuckDB answers with the rows of whichever one it likes: ask for exactly one
    const statements = await connection.extractStatements(sql);
    if (statements.count !== 1) throw new TributaryError('LAKE_QUERY_FAILED', `give one SQL statement, not ${statements.count}`, { sql });
    const reader = await connection.runAndReadAll(sql);
    return reader.convertRowObjects(jsonSafe);
  } catch (error) {
    if (error instanceof TributaryError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TributaryError('LAKE_QUERY_FAILED', message, { sql }, { cause: error });
  } finally {
    connection?.closeSync();
    instance?.closeSync();
  }
}

function viewSql(table: LakeTable): string {
  const directory = resolve(table.directory);
  const manifest = readManifest(directory);
  const columns: LakeColumn[] = manifest?.columns ?? [];
  const view = `CREATE VIEW ${quoteIdentifier(table.name)} AS SELECT`;
  if (manifest === undefined || manifest.files.length === 0) {
    const typed = columns.map(({ name, type }) => `CAST(NULL AS ${type}) AS ${quoteIdentifier(name)}`);
    return `${view} ${[...typed, 'CAST(NULL AS DATE) AS day', 'CAST(NULL AS VARCHAR) AS category'].join(', ')} WHERE false`;
  }
  const files = manifest.files.map(({ path }) => sqlString(join(directory, ...path.split('/'))));
  const selected = [...columns.map(({ name }) => quoteIdentifier(name)), 'day', 'category'].join(', ');
  // explicit hive types: DuckDB would otherwise guess, and read a category such as '123' as a number
  return (
    `${view} ${selected} FROM read_parquet([${files.join(', ')}], hive_partitioning = true, union_by_name = true, ` +
    `hive_types = {'day': DATE, 'category': VARCHAR})`
  );
}

// the SQL may come from a remote caller: it reads the lakes and nothing else on this machine
async function confineToLakes(connection: DuckDBConnection, tables: readonly LakeTable[]): Promise<void> {
  const directories = tables.map(({ directory }) => sqlString(join(resolve(directory), '/')));
  await connection.run(`SET allowed_directories = [${directories.join(', ')}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

const jsonSafe: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  const micros = timestampMicros(value);
  if (micros !== undefined) return isoTimestamp(micros) ?? String(value);
  return JsonDuckDBValueConverter(value, type, converter);
};

function timestampMicros(value: DuckDBValue): bigint | undefined {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return value.micros;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1000n;
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * 1_000_000n;
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.nanos / 1000n;
  return undefined;
}

/** ISO 8601 in UTC, with microseconds when there are any; undefined for infinities and years JS dates cannot hold. */
function isoTimestamp(micros: bigint): string | undefined {
  const remainder = ((micros % 1000n) + 1000n) % 1000n;
  const date = new Date(Number((micros - remainder) / 1000n));
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  return remainder === 0n ? iso : `${iso.slice(0, -1)}${String(remainder).padStart(3, '0')}Z`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
