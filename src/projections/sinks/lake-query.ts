import { join, resolve } from 'node:path';
import { TributaryError } from '../../core/errors.js';
import type { LakeAnswer } from './lake-answer.js';
import { lakeQueryLimits, type LakeLimits, type LakeQueryLimits } from './lake-limits.js';
import { readManifest } from './lake-manifest.js';
import type { LakeFiles } from './lake-protocol.js';
import { PROCESS_LAKE_SLOTS, type LakeQuerySlots, type LakeSlot } from './lake-slots.js';
import { LakeQueryStop } from './lake-stop.js';

/** A lake to query, and the view name it goes by in the SQL. */
export interface LakeTable {
  name: string;
  directory: string;
}

/** How one lake query is limited, and how its caller can stop it. */
export interface LakeQueryOptions extends Partial<LakeLimits> {
  /** Most rows the answer carries, from 1 to `maxRows`; default `defaultRows`. */
  limit?: number;
  /** Aborting it interrupts the query, which rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The slots (and their worker processes) the query takes one of for as long as it runs; default the process's. */
  slots?: LakeQuerySlots;
}

/**
 * Runs `sql` in a fresh in-memory DuckDB, inside a worker process of `slots`, where every lake is a view named
 * `name` over the files its manifest lists, with the hive partitions as columns: `day` a DATE, `category` a VARCHAR.
 * A lake without files is an empty view of its columns plus day and category (only day and category when it has no
 * manifest yet).
 *
 * Only one read-only SELECT runs (LAKE_QUERY_REFUSED otherwise, before anything ran); it reads the files the
 * manifests list and nothing else. The answer holds at most `limit` rows (default 10,000) and `maxAnswerBytes`,
 * streamed from the worker a chunk at a time, with `truncated` telling whether more existed. The call ends within
 * `timeoutMs` of its worker being up (a new one takes about half a second) with LAKE_QUERY_TIMEOUT, or when `signal`
 * aborts: the worker is interrupted, and killed if it has not let go within a second. DuckDB runs on one thread within `memoryMb` (LAKE_QUERY_OUT_OF_MEMORY), and the worker is
 * killed once its resident memory passes `workerMemoryMb` (LAKE_QUERY_OUT_OF_MEMORY too); a worker that dies
 * otherwise fails its query with LAKE_WORKER_LOST. `slots.size` queries run at once (LAKE_BUSY beyond).
 * Rows come back JSON-safe (see `jsonSafe`); DuckDB's other errors become LAKE_QUERY_FAILED.
 *
 * ```ts
 * await queryLake([{ name: 'orders', directory: 'data/lake/orders-1' }], 'SELECT category, count(*) AS n FROM orders GROUP BY ALL')
 * // { rows: [{ category: 'order', n: 42 }], truncated: false }
 * ```
 */
export async function queryLake(tables: readonly LakeTable[], sql: string, options: LakeQueryOptions = {}): Promise<LakeAnswer> {
  const { limit, signal, slots = PROCESS_LAKE_SLOTS, ...limits } = options;
  const resolved = lakeQueryLimits(limits, limit);
  const slot = slots.take();
  const stop = new LakeQueryStop(signal);
  // the slot stays taken until the worker has let go (or is dead), though the caller hears of a stop at once
  const answer = run(slot, tables, sql, resolved, stop).finally(() => {
    stop.dispose();
    slot.release();
  });
  return Promise.race([answer, stop.stopped]);
}

async function run(slot: LakeSlot, tables: readonly LakeTable[], sql: string, limits: LakeQueryLimits, stop: LakeQueryStop): Promise<LakeAnswer> {
  stop.check();
  let lakes: LakeFiles[];
  try {
    lakes = tables.map(lakeFiles);
  } catch (error) {
    throw new TributaryError('LAKE_QUERY_FAILED', error instanceof Error ? error.message : String(error), { sql }, { cause: error });
  }
  const worker = slot.worker(limits.workerMemoryMb);
  await Promise.race([worker.ready, stop.stopped]);
  // the clock starts once the worker is up: a new worker's start (about half a second, once per slot) is not the query's
  stop.startClock(limits.timeoutMs);
  const { rows, maxAnswerBytes, memoryMb, workerMemoryMb } = limits;
  return worker.run({ sql, lakes, limits: { rows, maxAnswerBytes, memoryMb } }, { memoryMb, workerMemoryMb }, stop);
}

function lakeFiles(table: LakeTable): LakeFiles {
  const directory = resolve(table.directory);
  const manifest = readManifest(directory);
  return {
    name: table.name,
    columns: manifest?.columns ?? [],
    files: (manifest?.files ?? []).map(({ path }) => join(directory, ...path.split('/'))),
  };
}
