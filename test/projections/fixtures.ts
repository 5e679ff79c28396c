import { openStore } from '../../src/open/open-store.js';
import type { RecordedEvent } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import type { ProjectionDefinition } from '../../src/projections/definition/projection.js';

/**
 * A projection whose table would show any event applied twice, skipped or out of
 * order: per stream a count, a sum, and the revisions seen, in the order seen.
 */
export function tallies(name: string, version = 1): ProjectionDefinition<TableContext> {
  return {
    name,
    version,
    filter: { categories: ['shard'] },
    sink: tableSink({ schema: (table) => [`CREATE TABLE ${table} (stream TEXT PRIMARY KEY, n INTEGER NOT NULL, total INTEGER NOT NULL, seen TEXT NOT NULL)`] }),
    handlers: {
      Counted: async (event: RecordedEvent, { tx, table }: TableContext) => {
        const amount = (event.data as { n: number }).n;
        const sql = `INSERT INTO ${table} (stream, n, total, seen) VALUES (?, 1, ?, ?)
          ON CONFLICT (stream) DO UPDATE SET n = ${table}.n + 1, total = ${table}.total + excluded.total, seen = ${table}.seen || ',' || excluded.seen`;
        await tx.execute(tx.dialect.placeholders(sql), [event.stream, amount, String(event.revision)]);
      },
    },
  };
}

export interface TallyRow {
  stream: string;
  n: number;
  total: number;
  seen: string;
}

/** The rows of the view readers use, in stream order. */
export async function tallyRows(store: EventStore, view: string): Promise<TallyRow[]> {
  const rows = await store.sql!.query<TallyRow>(`SELECT stream, n, total, seen FROM ${view} ORDER BY stream`);
  return rows.map((row) => ({ stream: row.stream, n: Number(row.n), total: Number(row.total), seen: row.seen }));
}

/** What the tallies must be after `rounds` appends of `Counted {n: round}` to each of `streams` streams. */
export function expectedTallies(streams: number, perStream: number): TallyRow[] {
  const rows: TallyRow[] = [];
  for (let s = 0; s < streams; s++) {
    const revisions = Array.from({ length: perStream }, (_, r) => r);
    rows.push({ stream: `shard-${s}`, n: perStream, total: revisions.reduce((a, b) => a + b, 0), seen: revisions.join(',') });
  }
  return rows.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
}

/** Appends one `Counted` to each stream per round, with `n` = the revision it will get. */
export async function appendRounds(store: EventStore, streams: number, from: number, rounds: number): Promise<void> {
  for (let round = from; round < from + rounds; round++) {
    for (let s = 0; s < streams; s++) await store.append(`shard-${s}`, [{ type: 'Counted', data: { n: round } }]);
  }
}

/** Opens the store at `location` for `work`, and closes it however work ends. */
export async function withStore(location: string, work: (store: EventStore) => Promise<void>): Promise<void> {
  const store = await openStore(location);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}
