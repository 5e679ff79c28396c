import type { PoolClient } from 'pg';
import type { AppendResult, EventData } from '../../core/event.js';
import { redactAndAudit, redactRow, type AuthorizeRedaction, type RedactedEvent, type Redaction, type RedactionMarker, type RowRedaction } from '../../store/redaction.js';
import { EVENT_COLUMNS, type EventRow } from '../../store/sql-rows.js';

/** Runs `work` in one transaction of the store's writer, once the store may write (not a mirror). */
export type WriteTransaction = <T>(operation: string, work: (client: PoolClient) => Promise<T>) => Promise<T>;

/**
 * Redaction on PostgreSQL: the event's row and its stream's snapshots change in
 * one transaction of the writer; the event's tags, and so the tag index, stay.
 */
export class PostgresRedaction implements Redaction {
  readonly #schema: string;
  readonly #transaction: WriteTransaction;
  readonly #append: (stream: string, events: readonly EventData[]) => Promise<AppendResult>;

  /** `schema`: the store's schema, already quoted as an identifier. */
  constructor(schema: string, transaction: WriteTransaction, append: (stream: string, events: readonly EventData[]) => Promise<AppendResult>) {
    this.#schema = schema;
    this.#transaction = transaction;
    this.#append = append;
  }

  redact(eventId: string, marker: RedactionMarker, authorize?: AuthorizeRedaction): Promise<RedactedEvent> {
    return redactAndAudit(eventId, marker, (id, checked) => this.#inPlace(id, checked, authorize), this.#append);
  }

  #inPlace(eventId: string, marker: RedactionMarker, authorize: AuthorizeRedaction | undefined): Promise<RowRedaction> {
    const schema = this.#schema;
    return this.#transaction('store.redaction.redact', async (client) => {
      // FOR UPDATE: two redactions of one event at once, the second sees the first's marker
      const text = `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE id = $1 FOR UPDATE`;
      const rows = await client.query<EventRow>({ text, values: [eventId], rowMode: 'array' });
      const decided = redactRow(eventId, rows.rows[0], marker, authorize);
      if (decided.write !== undefined) {
        const { event } = decided.redacted;
        await client.query(`UPDATE ${schema}.events SET data = $1, metadata = $1 WHERE position = $2`, [decided.write, event.position]);
        // a snapshot folded from the event's data would keep it
        await client.query(`DELETE FROM ${schema}.tributary_snapshots WHERE stream = $1`, [event.stream]);
      }
      return decided;
    });
  }
}
