import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TributaryError } from '../../core/errors.js';
import { readAnswer, type LakeRow } from './lake-answer.js';
import type { LakeColumn } from './lake-cells.js';
import type { LakeFiles, LakeRequest } from './lake-protocol.js';
import { readOnlyStatement } from './lake-statement.js';
import type { LakeQueryStop } from './lake-stop.js';

const REPEAT_INTERRUPT_MS = 20;

/**
 * Runs one lake query in a fresh in-memory DuckDB of this process (a lake worker's), as `queryLake` describes:
 * each lake a view over its files, DuckDB confined to them, the statement checked, the answer streamed to `emit`
 * a chunk at a time within the row and byte caps. Stopping `stop` interrupts DuckDB and rejects with its reason.
 */
export async function runLakeRequest(request: LakeRequest, stop: LakeQueryStop, emit: (rows: LakeRow[]) => void): Promise<{ truncated: boolean }> {
  const { sql, lakes, limits } = request;
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  let repeat: NodeJS.Timeout | undefined;
  try {
    stop.check();
    instance = await DuckDBInstance.create(':memory:', engineConfig(limits.memoryMb));
    const opened = (connection = await instance.connect());
    stop.onStop(() => {
      opened.interrupt();
      // a statement that had not begun when interrupted clears the flag as it begins: interrupt until the query has ended
      repeat = setInterval(() => opened.interrupt(), REPEAT_INTERRUPT_MS);
    });
    for (const lake of lakes) {
      stop.check();
      await connection.run(`CREATE VIEW ${quoteIdentifier(lake.name)} AS ${lakeSelect(lake)}`);
    }
    await confineToFiles(connection, lakes);
    stop.check();
    const statement = await readOnlyStatement(connection, sql, lakes.map(lakeStub));
    stop.check();
    return await readAnswer(await statement.stream(), { rows: limits.rows, maxBytes: limits.maxAnswerBytes }, () => stop.check(), emit);
  } catch (error) {
    if (stop.why !== undefined) throw stop.why.reason;
    throw lakeError(error, sql, limits.memoryMb);
  } finally {
    clearInterval(repeat);
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
    // one query per worker on one thread: the machine's other cores stay with the server
    threads: '1',
    memory_limit: `${memoryMb}MiB`,
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

function lakeError(error: unknown, sql: string, memoryMb: number): TributaryError {
  if (error instanceof TributaryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('Out of Memory Error')) {
    return new TributaryError('LAKE_QUERY_OUT_OF_MEMORY', `the lake query needed more than its ${memoryMb} MiB: ${message.split('\n')[0]}`, { memoryMb }, { cause: error });
  }
  return new TributaryError('LAKE_QUERY_FAILED', message, { sql }, { cause: error });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
