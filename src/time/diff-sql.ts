import type { Json } from '../projections/sinks/documents-sql.js';
import { quoteIdentifier } from '../projections/sinks/sql-text.js';
import type { SqlAccess } from '../store/sql-access.js';
import { keyedRows, type KeyedRows } from './diff-keyed.js';

/** The columns of a table's primary key, in key order; none when it has none (its rows are then keyed by all their columns). */
export async function tableKey(sql: SqlAccess, table: string): Promise<string[]> {
  const { sql: text, params } = sql.dialect.primaryKeyQuery(table);
  return (await sql.query<{ name: string }>(text, params)).map((row) => row.name);
}

/** A table's rows keyed by `key` (all their columns when `key` is empty). */
export async function tableRows(sql: SqlAccess, table: string, key: readonly string[]): Promise<KeyedRows> {
  const rows = await sql.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdentifier(table)}`);
  const keyOf = (row: Record<string, unknown>) => (key.length === 0 ? row : Object.fromEntries(key.map((column) => [column, row[column]])));
  return keyedRows(rows, keyOf, (row) => row);
}

/** A documents table's documents by id. */
export async function documentRows(sql: SqlAccess, table: string): Promise<KeyedRows> {
  const rows = await sql.query<{ id: string; doc: string }>(`SELECT id, ${sql.dialect.jsonAsText('doc')} FROM ${quoteIdentifier(table)}`);
  return keyedRows(rows, (row) => row.id, (row) => JSON.parse(row.doc) as Json);
}

/** A search index's entries by id, each as the fields it was indexed with. */
export async function searchRows(sql: SqlAccess, table: string): Promise<KeyedRows> {
  const rows = await sql.query<{ id: string; fields: string }>(`SELECT id, ${sql.dialect.jsonAsText('fields')} FROM ${quoteIdentifier(table)}`);
  return keyedRows(rows, (row) => row.id, (row) => JSON.parse(row.fields) as Json);
}
