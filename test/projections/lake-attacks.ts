import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A statement a lake query must refuse, and what the refusal names. */
export interface LakeAttack {
  sql: string;
  /** DuckDB's statement type the refusal names, when DuckDB can tell it without running the statement. */
  statementType?: string;
  statements?: number;
  tableFunction?: string;
}

/**
 * Statements that would write into the lake, or change or leave the engine, each aimed at `lake` (a lake directory)
 * whose view is `view` and whose live file is `liveFile`; every one must be refused before it runs.
 */
export function lakeAttacks(view: string, lake: string, liveFile: string): LakeAttack[] {
  return [
    { sql: `COPY (SELECT 999 AS position, 'forged' AS sku, 1 AS qty) TO '${liveFile}' (FORMAT parquet)` },
    { sql: `COPY ${view} TO '${join(lake, 'copied.parquet')}' (FORMAT parquet)` },
    { sql: `CREATE TABLE stolen AS SELECT * FROM ${view}`, statementType: 'CREATE' },
    { sql: 'CREATE VIEW shadow AS SELECT 1 AS one', statementType: 'CREATE' },
    { sql: 'CREATE MACRO twice(x) AS x * 2', statementType: 'CREATE' },
    { sql: `INSERT INTO ${view} SELECT * FROM ${view}`, statementType: 'INSERT' },
    { sql: `UPDATE ${view} SET qty = 0`, statementType: 'UPDATE' },
    { sql: `DELETE FROM ${view}`, statementType: 'DELETE' },
    { sql: `ATTACH '${join(lake, 'attached.duckdb')}' AS attached`, statementType: 'ATTACH' },
    { sql: 'DETACH attached', statementType: 'DETACH' },
    { sql: 'INSTALL httpfs', statementType: 'LOAD' },
    { sql: 'LOAD httpfs', statementType: 'LOAD' },
    { sql: `EXPORT DATABASE '${join(lake, 'exported')}'` },
    { sql: `SELECT 1; COPY ${view} TO '${join(lake, 'second.csv')}'`, statements: 2 },
    { sql: 'SELECT 1; SELECT 2', statements: 2 },
    { sql: 'SET threads = 8', statementType: 'SET' },
    { sql: 'SET enable_external_access = true', statementType: 'SET' },
    { sql: "PRAGMA memory_limit = '64GB'", statementType: 'SET' },
    { sql: 'PRAGMA version' },
    { sql: 'CALL checkpoint()', statementType: 'CALL' },
    { sql: `EXPLAIN SELECT * FROM ${view}`, statementType: 'EXPLAIN' },
    { sql: `EXPLAIN ANALYZE COPY ${view} TO '${join(lake, 'explained.csv')}'` },
    { sql: 'BEGIN TRANSACTION', statementType: 'TRANSACTION' },
    { sql: 'VACUUM', statementType: 'VACUUM' },
    { sql: `SELECT * FROM enable_logging(storage = 'file', storage_path = '${join(lake, 'logs')}')`, tableFunction: 'enable_logging' },
    { sql: `SELECT count(*) FROM (SELECT * FROM ${view}) o, enable_profiling()`, tableFunction: 'enable_profiling' },
    { sql: "WITH copied AS (SELECT * FROM query('SELECT 1')) SELECT * FROM copied", tableFunction: 'query' },
    { sql: 'SELECT * FROM checkpoint()', tableFunction: 'checkpoint' },
  ];
}

/** Every file under `directory` with its size and a hash of its bytes: equal snapshots mean nothing was written. */
export function snapshotTree(directory: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const relative = path.slice(directory.length + 1);
    if (entry.isDirectory()) files[`${relative}/`] = 'directory';
    else files[relative] = `${statSync(path).size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  }
  return files;
}
