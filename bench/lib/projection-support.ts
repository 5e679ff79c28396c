// Helpers of bench/projections.ts: the events it appends, the upsert its table projections run,
// waiting with a deadline, percentiles, and the clean-ups it owes whatever happens.
import type { RecordedEvent } from '../../src/core/event.js';
import type { SqlTransaction } from '../../src/store/consumer-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { SqlDialect } from '../../src/store/sql-dialect.js';

export const STREAMS = 1000;
export const CATEGORIES = ['order', 'cart', 'refund', 'invoice', 'shipment'] as const;
export const EVENT_TYPE = 'ItemSold';
/** Events per append while filling a store, and appends in flight at once (the writers commit them in groups). */
const FILL_BATCH = 10;
const FILL_IN_FLIGHT = 32;
/** The filled events' recorded_at spans this many days, ending now, so a lake gets several day partitions. */
export const FILL_DAYS = 7;

export interface SaleData {
  sku: string;
  qty: number;
  /** In cents. */
  price: number;
  /** Free text that brings the event's JSON to 1 KB, as in every benchmark. */
  note: string;
}

export const now = (): number => performance.timeOrigin + performance.now();

export function streamName(index: number): string {
  const stream = index % STREAMS;
  return `${CATEGORIES[stream % CATEGORIES.length]!}-${stream}`;
}

export function saleData(i: number): SaleData {
  const data = { sku: `sku-${i % 997}`, qty: 1 + (i % 5), price: 100 + ((i * 37) % 9900), note: '' };
  data.note = 'n'.repeat(1024 - JSON.stringify(data).length);
  return data;
}

/** The table one generation (or a baseline) of the totals projection writes: per stream a count and a sum. */
export function totalsSchema(table: string): string[] {
  return [`CREATE TABLE ${table} (stream TEXT PRIMARY KEY, n BIGINT NOT NULL, total BIGINT NOT NULL)`];
}

/** The one statement every variant runs per event, in the dialect's placeholders. */
export function upsertSql(dialect: SqlDialect, table: string): string {
  return `INSERT INTO ${table} (stream, n, total) VALUES (${dialect.placeholder(1)}, 1, ${dialect.placeholder(2)}) ON CONFLICT (stream) DO UPDATE SET n = ${table}.n + 1, total = ${table}.total + excluded.total`;
}

/** Texts per table, so the handler builds no string per event. */
const upserts = new Map<string, string>();

/** What the projection's handler and the hand-written baseline both do for one event. */
export function applySale(tx: SqlTransaction, table: string, event: RecordedEvent): Promise<unknown> {
  const key = `${tx.dialect.name}:${table}`;
  let sql = upserts.get(key);
  if (sql === undefined) upserts.set(key, (sql = upsertSql(tx.dialect, table)));
  const { qty, price } = event.data as SaleData;
  return tx.execute(sql, [event.stream, qty * price]);
}

export interface Filled {
  /** The head position after the fill. */
  head: number;
  events: number;
  /** Streams that got events. */
  streams: number;
  /** The sum of qty × price over every event: what the totals tables must add up to. */
  total: number;
}

/**
 * Appends `events` sale events over STREAMS streams, FILL_BATCH per append, FILL_IN_FLIGHT appends at once.
 * `open` gets a clock that spreads recorded_at over FILL_DAYS days; the store it opens is closed after.
 */
export async function fill(open: (clock: () => number) => Promise<EventStore>, events: number): Promise<Filled> {
  const spanMs = FILL_DAYS * 86_400_000;
  const from = Date.now() - spanMs;
  let issued = 0;
  const streams = new Set<string>();
  const store = await open(() => Math.floor(from + (issued / events) * spanMs));
  try {
    let total = 0;
    const inFlight = new Set<Promise<unknown>>();
    for (let append = 0; issued < events; append++) {
      const batch = Array.from({ length: Math.min(FILL_BATCH, events - issued) }, (_, k) => {
        const data = saleData(issued + k);
        total += data.qty * data.price;
        return { type: EVENT_TYPE, data };
      });
      issued += batch.length;
      streams.add(streamName(append));
      const appended: Promise<unknown> = store.append(streamName(append), batch).finally(() => inFlight.delete(appended));
      inFlight.add(appended);
      if (inFlight.size >= FILL_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return { head: await store.headPosition(), events, streams: streams.size, total };
  } finally {
    await store.close();
  }
}

/** Every event of the log, read a page at a time (outside any timing). */
export async function readLog(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let after: number | null = 0; after !== null; ) {
    const page = await store.readAll({ after, limit: 1000 });
    events.push(...page.events);
    after = page.next;
  }
  return events;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it holds; throws after `timeoutMs`, naming `what`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Rejects when `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The value at fraction `p` of `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

/** Clean-ups run in reverse order of registration, each one even when an earlier one failed. */
export class Cleanups {
  readonly #steps: { what: string; run: () => unknown }[] = [];

  /** Registers `run`; returns a function that runs it now (once) and forgets it. */
  add(what: string, run: () => unknown): () => Promise<void> {
    const step = { what, run };
    this.#steps.push(step);
    return async () => {
      const index = this.#steps.indexOf(step);
      if (index === -1) return;
      this.#steps.splice(index, 1);
      await run();
    };
  }

  #running: Promise<unknown[]> | undefined;

  /** Runs what is left; returns the failures, already reported on stderr. A second call while one runs shares it. */
  runAll(): Promise<unknown[]> {
    this.#running ??= this.#runAll().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #runAll(): Promise<unknown[]> {
    const failures: unknown[] = [];
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        console.error(`clean-up failed (${step.what}):`, error);
        failures.push(error);
      }
    }
    return failures;
  }
}
