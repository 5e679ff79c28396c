import type { SqlTransaction } from '../store/consumer-store.js';

/** Writes `?` placeholders as the dialect wants them: `$1, $2, …` on PostgreSQL. */
export function placeholders(dialect: SqlTransaction['dialect'], sql: string): string {
  if (dialect === 'sqlite') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Whether a table or view exists, looked up in the catalogue (cheaper than DDL that takes locks on PostgreSQL). */
export async function tableExists(tx: Pick<SqlTransaction, 'dialect' | 'query'>, name: string): Promise<boolean> {
  const rows =
    tx.dialect === 'sqlite'
      ? await tx.query("SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", [name])
      : await tx.query('SELECT 1 FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = (current_schemas(false))[1]::regnamespace', [name]);
  return rows.length > 0;
}
