import type { SqlAccess } from '../store/sql-access.js';
import type { TypeInCategory } from './log-facts.js';

// positions per statement: on SQLite a statement holds the one connection (and the event loop) while it runs
const CHUNK = 10_000;

/** What one pass has counted: every (type, category) pair of the log up to `through`, and how many events that is. */
interface Tally {
  through: number;
  events: number;
  pairs: Map<string, TypeInCategory>;
}

// per store handle: a server's later catalogs count only what was appended since the last one
const tallies = new WeakMap<SqlAccess, Tally>();
// the walk under way on each handle, which the next one waits for
const walks = new WeakMap<SqlAccess, Promise<Tally>>();

/**
 * Every (type, category) pair of the log with its count and newest position.
 * The first call walks the whole log, in statements of 10,000 positions so
 * appends go on in between; later calls on the same handle count only the
 * events appended since, after two counts show nothing was removed below
 * (a scavenge: then the walk starts over). A counter kept in the database
 * would have to follow every append, scavenge and restore, and would make
 * appends commit one at a time; the catalog is gathered rarely enough that
 * this is the better trade.
 */
export async function typesInCategories(sql: SqlAccess): Promise<TypeInCategory[]> {
  // one walk at a time per handle: two catalogs at once must not both add the same events
  const walk = (walks.get(sql) ?? Promise.resolve()).catch(() => undefined).then(() => walkOn(sql));
  walks.set(sql, walk);
  const tally = await walk;
  return [...tally.pairs.values()].map((pair) => ({ ...pair }));
}

/** The tally brought up to the head; it replaces the kept one only once complete, so a failed walk counts nothing twice. */
async function walkOn(sql: SqlAccess): Promise<Tally> {
  const head = await headOf(sql);
  const kept = tallies.get(sql);
  const fresh = kept === undefined || kept.through > head || (await eventsThrough(sql, kept.through)) !== kept.events;
  const tally: Tally = fresh
    ? { through: 0, events: 0, pairs: new Map() }
    : { through: kept.through, events: kept.events, pairs: new Map([...kept.pairs].map(([key, pair]) => [key, { ...pair }])) };
  const statement = sql.dialect.placeholders(
    `SELECT e.type AS type, s.category AS category, count(*) AS events, max(e.position) AS last_position
       FROM events e JOIN streams s ON s.stream_id = e.stream_id
      WHERE e.position > ? AND e.position <= ?
      GROUP BY e.type, s.category`,
  );
  for (let after = tally.through; after < head; after += CHUNK) {
    const rows = await sql.query<{ type: string; category: string; events: number | string; last_position: number | string }>(statement, [after, Math.min(after + CHUNK, head)]);
    for (const row of rows) {
      const key = `${row.type}\u0000${row.category}`;
      const pair = tally.pairs.get(key) ?? { type: row.type, category: row.category, events: 0, lastPosition: 0 };
      pair.events += Number(row.events);
      pair.lastPosition = Math.max(pair.lastPosition, Number(row.last_position));
      tally.pairs.set(key, pair);
      tally.events += Number(row.events);
    }
  }
  tally.through = Math.max(tally.through, head);
  tallies.set(sql, tally);
  return tally;
}

async function headOf(sql: SqlAccess): Promise<number> {
  const [row] = await sql.query<{ head: number | string | null }>('SELECT max(position) AS head FROM events');
  return Number(row?.head ?? 0);
}

async function eventsThrough(sql: SqlAccess, position: number): Promise<number> {
  // two statements: count(*) of the whole table walks its smallest index, a range of positions the table itself.
  // An append between them can only make the answer too large, which starts the walk over: never wrong, only slower
  const [newer] = await sql.query<{ events: number | string }>(sql.dialect.placeholders('SELECT count(*) AS events FROM events WHERE position > ?'), [position]);
  const [all] = await sql.query<{ events: number | string }>('SELECT count(*) AS events FROM events');
  return Number(all?.events ?? 0) - Number(newer?.events ?? 0);
}
