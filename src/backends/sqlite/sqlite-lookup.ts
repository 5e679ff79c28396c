import type { Statement } from 'better-sqlite3';
import type { RecordedEvent } from '../../core/event.js';
import { planCorrelated, readableEventSql, type CorrelatedOptions, type EventLookup } from '../../store/event-lookup.js';
import { JOINED_EVENT_COLUMNS, toRecordedEvents, type EventRow } from '../../store/sql-rows.js';
import type { SqliteConnection } from './sqlite-connection.js';

/** The correlation id as events_by_correlation indexes it: the query must say it the same way for the planner to use the index. */
export const CORRELATION_EXPRESSION = "json_extract(e.metadata, '$.correlationId')";

/** Events by id and by correlation id, through their indexes, as a stream read would show them. */
export class SqliteEventLookup implements EventLookup {
  readonly #connection: SqliteConnection;
  readonly #clock: () => number;
  readonly #byId: Statement<unknown[], EventRow>;
  readonly #byCorrelation: Statement<unknown[], EventRow>;

  constructor(connection: SqliteConnection, clock: () => number) {
    this.#connection = connection;
    this.#clock = clock;
    this.#byId = connection
      .prepare<unknown[], EventRow>(
        `SELECT ${JOINED_EVENT_COLUMNS} FROM events e INDEXED BY events_by_id CROSS JOIN streams s ON s.stream_id = e.stream_id
         WHERE e.id = @id AND ${readableEventSql('@now')}`,
      )
      .raw(true);
    this.#byCorrelation = connection
      .prepare<unknown[], EventRow>(
        `SELECT ${JOINED_EVENT_COLUMNS} FROM events e INDEXED BY events_by_correlation CROSS JOIN streams s ON s.stream_id = e.stream_id
         WHERE ${CORRELATION_EXPRESSION} = @correlationId AND e.position > @after AND e.position <= @until AND ${readableEventSql('@now')}
         ORDER BY e.position LIMIT @limit`,
      )
      .raw(true);
  }

  async event(id: string): Promise<RecordedEvent | undefined> {
    if (typeof id !== 'string') return undefined;
    return this.#connection.read(() => {
      const row = this.#byId.get({ id, now: this.#clock() });
      return row === undefined || row[0] > this.#connection.visibleUntil() ? undefined : toRecordedEvents([row])[0];
    });
  }

  async correlated(correlationId: string, options?: CorrelatedOptions): Promise<RecordedEvent[]> {
    const { after, limit } = planCorrelated(correlationId, options);
    return this.#connection.read(() => {
      const until = Math.min(this.#connection.visibleUntil(), Number.MAX_SAFE_INTEGER);
      return toRecordedEvents(this.#byCorrelation.all({ correlationId, after, until, limit, now: this.#clock() }));
    });
  }
}
