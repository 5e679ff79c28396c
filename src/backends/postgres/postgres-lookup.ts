import type { RecordedEvent } from '../../core/event.js';
import { isEventId } from '../../core/event-id.js';
import { planCorrelated, readableEventSql, type CorrelatedOptions, type EventLookup } from '../../store/event-lookup.js';
import { correlationOf } from './postgres-schema.js';
import { JOINED_EVENT_COLUMNS, toRecordedEvents, type EventRow } from '../../store/sql-rows.js';

/** Runs a statement and answers its rows as arrays. */
export type RowsOf = (text: string, values: unknown[]) => Promise<EventRow[]>;

/** Events by id and by correlation id, through their indexes, as a stream read would show them. */
export class PostgresEventLookup implements EventLookup {
  readonly #rows: RowsOf;
  readonly #clock: () => number;
  readonly #byId: string;
  readonly #byCorrelation: string;

  /** `schema` is the quoted schema identifier. */
  constructor(schema: string, rows: RowsOf, clock: () => number) {
    this.#rows = rows;
    this.#clock = clock;
    this.#byId = `SELECT ${JOINED_EVENT_COLUMNS} FROM ${schema}.events e JOIN ${schema}.streams s ON s.stream_id = e.stream_id
      WHERE e.id = $1 AND ${readableEventSql('$2')}`;
    this.#byCorrelation = `SELECT ${JOINED_EVENT_COLUMNS} FROM ${schema}.events e JOIN ${schema}.streams s ON s.stream_id = e.stream_id
      WHERE (${correlationOf('e.metadata').replaceAll('$schema', schema)}) = $1 AND e.position > $2 AND ${readableEventSql('$3')}
      ORDER BY e.position LIMIT $4`;
  }

  /** The statement `correlated` runs, for a look at its plan. */
  get correlatedSql(): string {
    return this.#byCorrelation;
  }

  async event(id: string): Promise<RecordedEvent | undefined> {
    // the column is a uuid: any other text names no event, and PostgreSQL would refuse to compare it
    if (!isEventId(id)) return undefined;
    return toRecordedEvents(await this.#rows(this.#byId, [id, this.#clock()]))[0];
  }

  async correlated(correlationId: string, options?: CorrelatedOptions): Promise<RecordedEvent[]> {
    const { after, limit } = planCorrelated(correlationId, options);
    return toRecordedEvents(await this.#rows(this.#byCorrelation, [correlationId, after, this.#clock(), limit]));
  }
}
