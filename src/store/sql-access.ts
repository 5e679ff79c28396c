import { RecordedEvent, type AppendResult } from '../core/event.js';
import type { ProposedEvent } from '../core/proposed-event.js';
import type { SqlTransaction } from './consumer-store.js';
import type { AllPage, ReadAllOptions } from './event-store.js';

/**
 * Runs inside an append's own transaction with the events that append wrote:
 * what it writes commits or rolls back with them (inline projections). A
 * throw fails the append, and nothing of it is stored; so does a write through
 * the store (TRANSACTION_REENTRY). `readLog` reads the log from inside the
 * transaction: every event before the append's first is committed and there.
 */
export type InlineHook = (events: readonly RecordedEvent[], tx: SqlTransaction, readLog: LogReader) => Promise<void>;

export type LogReader = (options: ReadAllOptions) => Promise<AllPage>;

/**
 * The store's own database, for projections whose tables live beside the log.
 * Present on the SQLite and PostgreSQL stores, absent on a remote one.
 *
 * ```ts
 * await store.sql?.transaction((tx) => tx.execute('CREATE TABLE orders (id TEXT PRIMARY KEY)'));
 * ```
 */
export interface SqlAccess {
  readonly dialect: SqlTransaction['dialect'];
  /**
   * Runs `work` in one write transaction; a throw rolls it back. Inside `work`,
   * write through `tx`: a write through the store (an append, another
   * transaction) fails at once with TRANSACTION_REENTRY.
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Reads committed data; never a transaction still open. Called from inside a
   * transaction it answers at once, but read through `tx` there: SQLite shows
   * the transaction's own writes, PostgreSQL only committed ones.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Runs `hook` in every later append of this handle, in its transaction. Appends
   * then commit one at a time instead of in groups. Returns the hook's removal.
   */
  addInlineHook(hook: InlineHook): () => void;
}

/** The inline hooks one store handle runs, in the order they were added. */
export class InlineHooks {
  readonly #hooks = new Set<InlineHook>();

  get size(): number {
    return this.#hooks.size;
  }

  add(hook: InlineHook): () => void {
    // a wrapper per call, so adding one hook twice runs it twice and each removal removes one
    const entry: InlineHook = (events, tx, readLog) => hook(events, tx, readLog);
    this.#hooks.add(entry);
    return () => this.#hooks.delete(entry);
  }

  async run(events: readonly RecordedEvent[], tx: SqlTransaction, readLog: LogReader): Promise<void> {
    if (events.length === 0) return;
    for (const hook of this.#hooks) await hook(events, tx, readLog);
  }
}

/** The events an append wrote, as readers will see them; none for an idempotent retry (its events are older than `head`). */
export function appendedEvents(result: AppendResult, proposed: readonly ProposedEvent[], recordedAt: number, head: number): RecordedEvent[] {
  if (result.position <= head) return [];
  return result.events.map(
    ({ id, revision, position }, i) =>
      new RecordedEvent(
        id, result.stream, proposed[i]!.type, revision, position, proposed[i]!.dataJson, proposed[i]!.metadataJson, recordedAt, proposed[i]!.tagsJson,
      ),
  );
}

/**
 * `sql` with inline hooks that see the events, and the pages they read from
 * the log, through `transform`, as a store wrapper's other readers see them.
 * Pages read with `raw` (as stored, not upcast) pass untouched when `keepRaw`.
 */
export function sqlReadingThrough(
  sql: SqlAccess,
  transform: (events: RecordedEvent[]) => RecordedEvent[] | Promise<RecordedEvent[]>,
  keepRaw = false,
): SqlAccess {
  return {
    dialect: sql.dialect,
    transaction: (work) => sql.transaction(work),
    query: (text, params) => sql.query(text, params),
    addInlineHook: (hook: InlineHook) =>
      sql.addInlineHook(async (events, tx, readLog) =>
        hook(await transform([...events]), tx, async (options) => {
          const page = await readLog(options);
          return keepRaw && options.raw === true ? page : { ...page, events: await transform(page.events) };
        }),
      ),
  };
}
