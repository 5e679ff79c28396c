import type { Pool, PoolClient } from 'pg';
import type { AppendResult, RecordedEvent } from '../../core/event.js';
import { InlineHooks, type LogReader } from '../../store/sql-access.js';
import { storeClosed } from '../../store/store-closed.js';
import { transactionReentry, type TransactionScope } from '../../store/transaction-scope.js';
import type { AppendCall } from '../../store/append-calls.js';
import { appendGroup } from './postgres-append.js';
import { appendGroupInOneCall } from './postgres-append-call.js';
import { translatePgError } from './postgres-errors.js';
import type { Statements } from './postgres-statements.js';
import { PostgresTransaction } from './postgres-transaction.js';

type Pending =
  | { kind: 'append'; request: AppendCall; resolve: (results: AppendResult[]) => void; reject: (error: unknown) => void }
  | { kind: 'other'; run: (client: PoolClient) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/**
 * Group commit for PostgreSQL. Writes queue while one transaction is in
 * flight; then every queued append goes into the next transaction together
 * (one lock wait, one WAL flush), and other writes (deletes, metadata) run one
 * transaction each, in the order they were submitted. At most one transaction
 * per process is in flight: they would only queue on the log_head lock anyway.
 */
export class PostgresWriter {
  readonly #pool: Pool;
  readonly #sql: Statements;
  readonly #clock: () => number;
  readonly #channel: string;
  readonly #schema: string;
  readonly #readLog: LogReader;
  readonly #scope: TransactionScope;
  readonly #appendCall: { name: string; text: string };
  /** The hooks every append of this handle runs in its own transaction; while there are any, appends commit one at a time. */
  readonly inline = new InlineHooks();
  #queue: Pending[] = [];
  #draining = false;
  #drained: Promise<void> = Promise.resolve();
  #closed = false;

  /**
   * `readLog` reads committed events: under the head lock, every event before an append's first is committed.
   * `scope` marks inline hooks as inside a transaction, and refuses writes from inside one.
   */
  constructor(pool: Pool, sql: Statements, schema: string, clock: () => number, channel: string, readLog: LogReader, scope: TransactionScope) {
    this.#pool = pool;
    this.#schema = schema;
    this.#readLog = readLog;
    this.#scope = scope;
    this.#sql = sql;
    this.#clock = clock;
    this.#channel = channel;
    this.#appendCall = { name: `tributary-append-group-${channel}`, text: sql.appendGroup };
  }

  /** Appends one call (one stream, or several all or none); one result per stream. */
  append(request: AppendCall): Promise<AppendResult[]> {
    return this.#enqueue(request.operation, (resolve, reject) => ({ kind: 'append', request, resolve, reject }));
  }

  /** Runs `run` in its own transaction, holding the log_head lock; `operation` names the call for TRANSACTION_REENTRY. */
  transaction<T>(operation: string, run: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#enqueue(operation, (resolve, reject) => ({
      kind: 'other',
      resolve: resolve as (value: unknown) => void,
      reject,
      run: async (client) => {
        await client.query('BEGIN');
        try {
          await client.query(this.#sql.lockHead);
          const value = await run(client);
          await client.query('COMMIT');
          return value;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
    }));
  }

  /**
   * Runs `run` on a connection of the writer with no transaction around it, in turn with the other writes:
   * for one statement that commits on its own and takes the log_head lock itself (an exact copy's batch).
   */
  call<T>(operation: string, run: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#enqueue(operation, (resolve, reject) => ({ kind: 'other', resolve: resolve as (value: unknown) => void, reject, run }));
  }

  /** Refuses new writes and waits for queued ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#drained;
  }

  #enqueue<T>(operation: string, make: (resolve: (value: T) => void, reject: (error: unknown) => void) => Pending): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosed());
    // refused on every backend; from an inline hook it would wait for the round that runs the hook
    if (this.#scope.inside()) return Promise.reject(transactionReentry(operation));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(make(resolve, reject));
      if (!this.#draining) {
        this.#draining = true;
        this.#drained = this.#drain();
      }
    });
  }

  async #drain(): Promise<void> {
    // let the callers of this turn of the event loop join the first group
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.#queue.length === 0) {
        // cleared with no await after looking at the queue, so a write queued from now on starts a new drain
        this.#draining = false;
        return;
      }
      const queue = this.#queue;
      this.#queue = [];
      await this.#run(queue).catch((error: unknown) => {
        for (const pending of queue) pending.reject(error);
      });
    }
  }

  /** Runs one round of queued writes on one connection. */
  async #run(queue: Pending[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      for (const pending of queue) pending.reject(translatePgError(error));
      return;
    }
    let broken: unknown;
    // a connection that drops between two statements is reported by the next query; the event alone must not crash the process
    const ignore = () => undefined;
    client.on('error', ignore);
    try {
      for (let start = 0; start < queue.length; ) {
        if (broken !== undefined) {
          // the connection died: what is left goes first into the next round, on a fresh client
          this.#queue = [...queue.slice(start), ...this.#queue];
          return;
        }
        const first = queue[start]!;
        if (first.kind === 'other') {
          start++;
          await first.run(client).then(first.resolve, (error: unknown) => {
            broken = isConnectionError(error) ? error : broken;
            first.reject(translatePgError(error));
          });
          continue;
        }
        let end = start;
        const most = this.inline.size > 0 ? start + 1 : queue.length;
        while (end < Math.min(most, queue.length) && queue[end]!.kind === 'append') end++;
        const appends = queue.slice(start, end) as Extract<Pending, { kind: 'append' }>[];
        start = end;
        try {
          const inline =
            this.inline.size > 0
              ? (events: readonly RecordedEvent[], on: PoolClient) =>
                  this.#scope.enter(() => this.inline.run(events, new PostgresTransaction(on), this.#readLog))
              : undefined;
          const requests = appends.map((a) => a.request);
          const recordedAt = this.#clock();
          // inline hooks run inside the append's transaction, so only appends without them fit in one call
          const outcomes =
            (inline === undefined ? await appendGroupInOneCall(client, this.#appendCall, requests, recordedAt, this.#channel) : undefined) ??
            (await appendGroup(client, this.#sql, this.#schema, requests, recordedAt, this.#channel, inline));
          outcomes.forEach((outcome, i) => (outcome.ok ? appends[i]!.resolve(outcome.value) : appends[i]!.reject(outcome.error)));
        } catch (error) {
          broken = isConnectionError(error) ? error : broken;
          const failure = translatePgError(error);
          for (const append of appends) append.reject(failure);
        }
      }
    } finally {
      client.off('error', ignore);
      // a client whose connection failed must not go back to the pool
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

function isConnectionError(error: unknown): boolean {
  const translated = translatePgError(error);
  return translated instanceof Error && (translated as { code?: string }).code === 'STORE_UNAVAILABLE';
}
