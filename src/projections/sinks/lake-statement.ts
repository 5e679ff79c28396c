import { DuckDBInstance, StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { TributaryError } from '../../core/errors.js';

/**
 * The table functions a lake query may call: they read the lakes' files, make values or describe the catalog.
 * Others are refused: some write files (enable_logging), change the engine (enable_profiling, checkpoint), or run SQL
 * this check never saw (query, json_execute_serialized_sql).
 */
export const LAKE_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range',
  'generate_series',
  'unnest',
  'read_parquet',
  'parquet_scan',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'parquet_kv_metadata',
  'json_each',
  'json_tree',
  'duckdb_columns',
  'duckdb_views',
  'duckdb_functions',
  'duckdb_types',
  'duckdb_keywords',
]);

/**
 * `sql` prepared on `connection` when it is exactly one read-only SELECT; otherwise LAKE_QUERY_REFUSED, and nothing ran.
 * DuckDB's parser decides first (how many statements, whether it is a SELECT, which table functions it calls),
 * because preparing some statements already acts (EXPORT DATABASE creates its directory); then the prepared
 * statement's type must be SELECT. `lakeStubs` create each lake as an empty table, so that a refused statement can
 * be prepared where no file can be touched, to name its type.
 */
export async function readOnlyStatement(connection: DuckDBConnection, sql: string, lakeStubs: readonly string[]): Promise<DuckDBPreparedStatement> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) {
    throw refused(`a lake query is one SQL statement; DuckDB reads ${statements.count} here`, { statements: statements.count });
  }
  const tree = await selectTree(connection, sql);
  if (tree === undefined) {
    const statementType = await statementTypeOf(sql, lakeStubs);
    const kind = statementType === undefined ? 'a statement that is not a SELECT' : `a ${statementType} statement`;
    throw refused(`only a read-only SELECT runs over the lake, and this is ${kind}`, statementType === undefined ? {} : { statementType });
  }
  const unoffered = tableFunctionsIn(tree).find((name) => !LAKE_TABLE_FUNCTIONS.has(name));
  if (unoffered !== undefined) {
    throw refused(`the lake does not offer the table function ${unoffered}`, { statementType: 'SELECT', tableFunction: unoffered });
  }
  const statement = await statements.prepare(0);
  if (statement.statementType !== StatementType.SELECT) {
    const statementType = StatementType[statement.statementType];
    statement.destroySync();
    throw refused(`only a read-only SELECT runs over the lake, and this is a ${statementType} statement`, { statementType });
  }
  return statement;
}

/** The parse tree of `sql` when DuckDB's parser reads it as one SELECT; undefined for any other statement. */
async function selectTree(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [sql]);
  const parsed = JSON.parse(String(reader.getRowObjects()[0]?.['tree'])) as { error?: boolean; statements?: unknown[] };
  return parsed.error === false && parsed.statements?.length === 1 ? parsed.statements[0] : undefined;
}

/** Every table function a parse tree calls, wherever it sits: joins, subqueries, CTEs, set operations. */
function tableFunctionsIn(tree: unknown, found: string[] = []): string[] {
  if (Array.isArray(tree)) {
    for (const item of tree) tableFunctionsIn(item, found);
  } else if (typeof tree === 'object' && tree !== null) {
    const node = tree as Record<string, unknown>;
    if (node['type'] === 'TABLE_FUNCTION') found.push(String((node['function'] as { function_name?: unknown } | null)?.function_name));
    for (const value of Object.values(node)) tableFunctionsIn(value, found);
  }
  return found;
}

/** DuckDB's name for the kind of statement `sql` is, prepared where no file and no lake can be reached; undefined when it cannot tell. */
async function statementTypeOf(sql: string, lakeStubs: readonly string[]): Promise<string | undefined> {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    // temp_directory before enable_external_access: DuckDB refuses to set a path once access is off
    instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      temp_directory: '',
      threads: '1',
      memory_limit: '64MiB',
      enable_external_access: 'false',
    });
    connection = await instance.connect();
    for (const stub of lakeStubs) await connection.run(stub);
    await connection.run('SET lock_configuration = true');
    const statement = await connection.prepare(sql);
    const type = StatementType[statement.statementType];
    statement.destroySync();
    // DuckDB rewrites some statements (PRAGMA version) into a SELECT: that names the rewrite, not what was written
    return type === 'SELECT' ? undefined : type;
  } catch {
    return undefined;
  } finally {
    connection?.closeSync();
    instance?.closeSync();
  }
}

function refused(message: string, details: Record<string, unknown>): TributaryError {
  return new TributaryError('LAKE_QUERY_REFUSED', message, details);
}
