import type { AppendResult, EventData } from '../../core/event.js';
import { redactAndAudit, redactRow, type AuthorizeRedaction, type RedactedEvent, type Redaction, type RedactionMarker } from '../../store/redaction.js';
import { EVENT_COLUMNS, type EventRow } from '../../store/sql-rows.js';
import type { SqliteConnection } from './sqlite-connection.js';

/**
 * Redaction on SQLite: the event's row and its stream's snapshots change in one
 * commit of the writer; the event's tags, and so the tag index, stay.
 */
export class SqliteRedaction implements Redaction {
  readonly #connection: SqliteConnection;
  readonly #append: (stream: string, events: readonly EventData[]) => Promise<AppendResult>;
  readonly #assertWritable: () => void;
  #statements: ReturnType<typeof prepare> | undefined;

  constructor(connection: SqliteConnection, append: (stream: string, events: readonly EventData[]) => Promise<AppendResult>, assertWritable: () => void) {
    this.#connection = connection;
    this.#append = append;
    this.#assertWritable = assertWritable;
  }

  redact(eventId: string, marker: RedactionMarker, authorize?: AuthorizeRedaction): Promise<RedactedEvent> {
    return redactAndAudit(eventId, marker, (id, checked) => this.#inPlace(id, checked, authorize), this.#append);
  }

  #inPlace(eventId: string, marker: RedactionMarker, authorize: AuthorizeRedaction | undefined) {
    // prepared on first use: a store that never redacts prepares nothing
    const statements = (this.#statements ??= prepare(this.#connection));
    return this.#connection.write('store.redaction.redact', () => {
      this.#assertWritable();
      const decided = redactRow(eventId, statements.eventById.get(eventId), marker, authorize);
      if (decided.write !== undefined) {
        const { event } = decided.redacted;
        statements.replace.run(decided.write, decided.write, event.position);
        // a snapshot folded from the event's data would keep it
        statements.deleteSnapshots.run(event.stream);
      }
      return decided;
    });
  }
}

function prepare(connection: SqliteConnection) {
  return {
    eventById: connection.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`).raw(true),
    replace: connection.prepare<[string, string, number]>('UPDATE events SET data = ?, metadata = ? WHERE position = ?'),
    deleteSnapshots: connection.prepare<[string]>('DELETE FROM tributary_snapshots WHERE stream = ?'),
  };
}
