import { TributaryError, invalidArgument } from '../../core/errors.js';
import { LakeProcess } from './lake-process.js';

/** Lake queries one process runs at once unless told otherwise. */
export const DEFAULT_LAKE_QUERIES = 2;
/** How long a worker may sit idle before it is stopped, unless told otherwise. */
export const DEFAULT_LAKE_IDLE_MS = 30_000;

/** A slot taken for one query: its worker (an idle one with room for the query's bound, or one started now), and the way to give the slot back. */
export interface LakeSlot {
  worker(workerMemoryMb: number): LakeProcess;
  release(): void;
}

export interface LakeQuerySlotsOptions {
  /** How long a worker may sit idle before it is stopped; default 30,000 ms. */
  idleMs?: number;
}

/**
 * How many lake queries run at once, each in a worker process of its own (one per slot, started on first use and
 * kept for the next queries): with each worker's memory bound this bounds what they can take together. An idle
 * worker stops after `idleMs`, and never holds its parent's event loop open; `close()` stops them all.
 *
 * ```ts
 * const slots = new LakeQuerySlots(4);
 * await queryLakes(store, sql, { slots });
 * await slots.close();
 * ```
 */
export class LakeQuerySlots {
  readonly size: number;
  readonly #idleMs: number;
  #running = 0;
  readonly #workers = new Set<LakeProcess>();
  readonly #idle = new Map<LakeProcess, NodeJS.Timeout>();

  constructor(size: number, options: LakeQuerySlotsOptions = {}) {
    if (!(Number.isSafeInteger(size) && size >= 1)) throw invalidArgument('lake queries', `must be a whole number >= 1, got ${String(size)}`);
    const { idleMs = DEFAULT_LAKE_IDLE_MS } = options;
    if (!(Number.isSafeInteger(idleMs) && idleMs >= 1)) throw invalidArgument('idleMs', `must be a whole number >= 1, got ${String(idleMs)}`);
    this.size = size;
    this.#idleMs = idleMs;
  }

  get running(): number {
    return this.#running;
  }

  /** The process ids of the workers alive now, busy or idle. */
  get pids(): number[] {
    return [...this.#workers].flatMap((worker) => (worker.pid === undefined ? [] : [worker.pid]));
  }

  /** Takes a slot, or throws LAKE_BUSY when all are taken; the slot comes back on `release()` (once). */
  take(): LakeSlot {
    if (this.#running >= this.size) {
      throw new TributaryError('LAKE_BUSY', `${this.#running} lake queries are running, as many as this process allows; try again shortly`, {
        running: this.#running,
      });
    }
    this.#running++;
    let worker: LakeProcess | undefined;
    let given = false;
    return {
      worker: (workerMemoryMb) => (worker ??= this.#worker(workerMemoryMb)),
      release: () => {
        if (given) return;
        given = true;
        this.#running--;
        if (worker !== undefined) this.#rest(worker);
      },
    };
  }

  /** Stops every worker (SIGKILL: they hold nothing worth saving); a query in flight rejects with LAKE_WORKER_LOST. */
  async close(): Promise<void> {
    const workers = [...this.#workers];
    for (const worker of workers) {
      clearTimeout(this.#idle.get(worker));
      worker.kill(new TributaryError('LAKE_WORKER_LOST', 'lake queries are closing (the store or server is shutting down); the query was stopped', {}));
    }
    this.#idle.clear();
    await Promise.all(workers.map((worker) => worker.exited));
  }

  #worker(workerMemoryMb: number): LakeProcess {
    for (const [worker, timer] of this.#idle) {
      this.#idle.delete(worker);
      clearTimeout(timer);
      if (worker.alive && worker.hasRoom(workerMemoryMb)) return worker;
      worker.kill();
    }
    const worker = new LakeProcess();
    this.#workers.add(worker);
    void worker.exited.then(() => {
      this.#workers.delete(worker);
      clearTimeout(this.#idle.get(worker));
      this.#idle.delete(worker);
    });
    return worker;
  }

  #rest(worker: LakeProcess): void {
    if (!worker.alive) return;
    const timer = setTimeout(() => {
      this.#idle.delete(worker);
      worker.kill();
    }, this.#idleMs);
    timer.unref();
    this.#idle.set(worker, timer);
  }
}

/** The slots lake queries share in this process when the caller brings none. */
export const PROCESS_LAKE_SLOTS = new LakeQuerySlots(DEFAULT_LAKE_QUERIES);
