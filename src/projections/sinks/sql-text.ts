import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlStatement } from '../../store/sql-dialect.js';

type Reader = Pick<SqlTransaction, 'dialect' | 'query'>;

/**
 * A table, view, index or column name as SQL text: double-quoted, so a keyword
 * such as `order` is a name. Both dialects quote this way; the names given here
 * are lower case, which is what PostgreSQL folds an unquoted reader's name to.
 *
 * ```ts
 * `SELECT ${quoteIdentifier('select')} FROM ${quoteIdentifier('orders_g1')}` // SELECT "select" FROM "orders_g1"
 * ```
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function found(tx: Reader, { sql, params }: SqlStatement): Promise<boolean> {
  return (await tx.query(sql, params)).length > 0;
}

/** Whether a table or view exists, looked up in the catalogue (cheaper than DDL that takes locks on PostgreSQL). */
export function tableExists(tx: Reader, name: string): Promise<boolean> {
  return found(tx, tx.dialect.tableExistsQuery(name));
}

/**
 * Whether anything in the store's schema goes by `name`: a table, view, index
 * or sequence, or on PostgreSQL a type (a table's row type takes its name too).
 * SQLite ignores case in names, so there `Orders` takes `orders`.
 */
export function nameTaken(tx: Reader, name: string): Promise<boolean> {
  return found(tx, tx.dialect.nameTakenQuery(name));
}
