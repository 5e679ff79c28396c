import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlDialect } from '../../store/sql-dialect.js';
import { quoteIdentifier } from './sql-text.js';

export type ColumnType = 'text' | 'integer' | 'real' | 'boolean' | 'json' | 'timestamp';

/** The column a declared table's rows are keyed by. */
export const KEY = quoteIdentifier('key');

/** Inserts the row `key`, or sets only the given columns of the existing one. */
export async function upsertRow(
  tx: SqlTransaction,
  table: string,
  key: string,
  values: Record<string, unknown>,
  types: Readonly<Record<string, ColumnType>>,
): Promise<void> {
  const columns = Object.keys(values);
  const quoted = columns.map(quoteIdentifier);
  const sets = columns.length === 0 ? 'NOTHING' : `UPDATE SET ${quoted.map((column) => `${column} = excluded.${column}`).join(', ')}`;
  const sql = `INSERT INTO ${quoteIdentifier(table)} (${[KEY, ...quoted].join(', ')}) VALUES (?${', ?'.repeat(columns.length)})
    ON CONFLICT (${KEY}) DO ${sets}`;
  await tx.execute(tx.dialect.placeholders(sql), [key, ...columns.map((column) => bindable(tx.dialect, values[column], types[column] ?? 'text'))]);
}

export async function deleteRow(tx: SqlTransaction, table: string, key: string): Promise<void> {
  await tx.execute(tx.dialect.placeholders(`DELETE FROM ${quoteIdentifier(table)} WHERE ${KEY} = ?`), [key]);
}

/** A JSON value as the column type wants it; a value of the wrong kind becomes NULL rather than failing the projection. */
function bindable(dialect: SqlDialect, value: unknown, type: ColumnType): unknown {
  switch (type) {
    case 'text':
      return value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
    case 'integer':
    case 'timestamp':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
    case 'real':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? dialect.booleanParam(value) : null;
    case 'json':
      return JSON.stringify(value);
  }
}
