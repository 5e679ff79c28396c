import { invalidArgument } from '../../core/errors.js';

/** What a lake query's worker process holds besides DuckDB's memory: Node, DuckDB's code, the answer being built. */
export const WORKER_RUNTIME_MB = 192;

/** How much one lake query may return, how long it may run and how much memory DuckDB and its process may use for it. */
export interface LakeLimits {
  /** Rows an answer carries when the caller names no limit; default 10,000. */
  defaultRows: number;
  /** The largest row limit a caller may name; default 100,000. */
  maxRows: number;
  /** Bytes of cell data (about their size as JSON) an answer carries at most, whatever the row limit; default 32 MiB. */
  maxAnswerBytes: number;
  /** Wall-clock time for the whole call, view set-up included, before DuckDB is interrupted; default 30,000 ms. */
  timeoutMs: number;
  /** DuckDB's memory limit for the query in MiB (it does not spill to disk); default 256. */
  memoryMb: number;
  /**
   * The resident memory in MiB the query's worker process may reach before it is killed, a hard bound where DuckDB's
   * `memoryMb` is not; more than `memoryMb`, default `memoryMb` + 192 (WORKER_RUNTIME_MB).
   */
  workerMemoryMb?: number;
}

export const DEFAULT_LAKE_LIMITS: LakeLimits = {
  defaultRows: 10_000,
  maxRows: 100_000,
  maxAnswerBytes: 32 * 1024 * 1024,
  timeoutMs: 30_000,
  memoryMb: 256,
};

/** What one query runs under: its row cap, answer size, time limit, DuckDB's memory and its process's. */
export interface LakeQueryLimits {
  rows: number;
  maxAnswerBytes: number;
  timeoutMs: number;
  memoryMb: number;
  workerMemoryMb: number;
}

/** `limits` over the defaults, with `limit` (the caller's row cap) checked against their maximum; INVALID_ARGUMENT otherwise. */
export function lakeQueryLimits(limits: Partial<LakeLimits>, limit: number | undefined): LakeQueryLimits {
  const { defaultRows, maxRows, maxAnswerBytes, timeoutMs, memoryMb, workerMemoryMb } = validLakeLimits(limits);
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1 && limit <= maxRows)) {
    throw invalidArgument('limit', `must be a whole number from 1 to ${maxRows}, got ${String(limit)}`);
  }
  return { rows: limit ?? Math.min(defaultRows, maxRows), maxAnswerBytes, timeoutMs, memoryMb, workerMemoryMb: workerMemoryMb ?? memoryMb + WORKER_RUNTIME_MB };
}

/** `limits` over the defaults, each a whole number >= 1, and `workerMemoryMb` above `memoryMb`; INVALID_ARGUMENT otherwise. */
export function validLakeLimits(limits: Partial<LakeLimits>): LakeLimits {
  const resolved = { ...DEFAULT_LAKE_LIMITS, ...withoutUndefined(limits) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!(Number.isSafeInteger(value) && value >= 1)) throw invalidArgument(name, `must be a whole number >= 1, got ${String(value)}`);
  }
  if (resolved.workerMemoryMb !== undefined && resolved.workerMemoryMb <= resolved.memoryMb) {
    throw invalidArgument(
      'workerMemoryMb',
      `must be more than memoryMb (${resolved.memoryMb}): the worker holds DuckDB's memory and its own runtime, got ${resolved.workerMemoryMb}`,
    );
  }
  return resolved;
}

// `{ timeoutMs: undefined }` (an option not given) keeps the default instead of replacing it
function withoutUndefined(limits: Partial<LakeLimits>): Partial<LakeLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}
