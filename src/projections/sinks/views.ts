import type { SqlTransaction } from '../../store/consumer-store.js';

/** Points the view readers query at a generation's table; DDL is transactional on both backends, so the switch is atomic. */
export async function replaceView(tx: SqlTransaction, table: string, view: string): Promise<void> {
  await tx.execute(`DROP VIEW IF EXISTS ${view}`);
  await tx.execute(`CREATE VIEW ${view} AS SELECT * FROM ${table}`);
}
