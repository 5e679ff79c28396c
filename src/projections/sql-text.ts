import type { SqlTransaction } from '../store/consumer-store.js';

type Reader = Pick<SqlTransaction, 'dialect' | 'query'>;

/** Writes `?` placeholders as the dialect wants them: `$1, $2, …` on PostgreSQL. */
export function placeholders(dialect: SqlTransaction['dialect'], sql: string): string {
  if (dialect === 'sqlite') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

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

/** Whether a table or view exists, looked up in the catalogue (cheaper than DDL that takes locks on PostgreSQL). */
export async function tableExists(tx: Reader, name: string): Promise<boolean> {
  const rows =
    tx.dialect === 'sqlite'
      ? await tx.query("SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", [name])
      : await tx.query('SELECT 1 FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = (current_schemas(false))[1]::regnamespace', [name]);
  return rows.length > 0;
}

/**
 * Whether anything in the store's schema goes by `name`: a table, view, index
 * or sequence, or on PostgreSQL a type (a table's row type takes its name too).
 * SQLite ignores case in names, so there `Orders` takes `orders`.
 */
export async function nameTaken(tx: Reader, name: string): Promise<boolean> {
  const rows =
    tx.dialect === 'sqlite'
      ? await tx.query('SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?)', [name])
      : await tx.query(
          `SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = (current_schemas(false))[1]::regnamespace
           UNION ALL SELECT 1 FROM pg_type WHERE typname = $1 AND typnamespace = (current_schemas(false))[1]::regnamespace`,
          [name],
        );
  return rows.length > 0;
}
