import type { SqlTransaction } from '../../store/consumer-store.js';
import { quoteIdentifier } from './sql-text.js';

/** Points the view readers query at a generation's table; DDL is transactional on both backends, so the switch is atomic. */
export async function replaceView(tx: SqlTransaction, table: string, view: string): Promise<void> {
  await dropView(tx, view);
  await tx.execute(`CREATE VIEW ${quoteIdentifier(view)} AS SELECT * FROM ${quoteIdentifier(table)}`);
}

export async function dropView(tx: SqlTransaction, view: string): Promise<void> {
  await tx.execute(`DROP VIEW IF EXISTS ${quoteIdentifier(view)}`);
}
