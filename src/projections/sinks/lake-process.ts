import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TributaryError } from '../../core/errors.js';
import type { LakeAnswer, LakeRow } from './lake-answer.js';
import { residentMemory } from './lake-memory.js';
import { decodeError, type FromWorker, type LakeRequest, type ToWorker } from './lake-protocol.js';
import type { LakeQueryStop } from './lake-stop.js';

/** How often a busy worker's memory is read: at the fastest DuckDB was measured allocating (~1.8 GB/s) it passes its bound by ~90 MB at most. */
export const MEMORY_WATCH_MS = 50;
/** How long a stopped query's worker has to answer its interrupt before it is killed (DuckDB cannot interrupt some work). */
export const KILL_GRACE_MS = 1_000;
/** How long a worker may take to load before it is given up. */
const START_LIMIT_MS = 30_000;

/** The bounds the parent enforces on a query's worker. */
export interface WorkerBounds {
  memoryMb: number;
  workerMemoryMb: number;
}

interface Running {
  id: number;
  rowCap: number;
  bounds: WorkerBounds;
  rows: LakeRow[];
  resolve: (answer: LakeAnswer) => void;
  reject: (error: unknown) => void;
  watch: NodeJS.Timeout;
  grace: NodeJS.Timeout | undefined;
  /** Why the parent killed the worker, when it did so for this query. */
  killedFor: TributaryError | undefined;
}

/**
 * One lake worker process (lake-worker.ts) seen from its parent: it runs one query at a time in its own DuckDB,
 * watched for memory (VmHWM from /proc every MEMORY_WATCH_MS, killed beyond `workerMemoryMb`) and stopped by its
 * query's LakeQueryStop (interrupted, then killed after KILL_GRACE_MS). Only while it loads or runs a query does it
 * hold its parent's event loop open.
 */
export class LakeProcess {
  /** Resolves once the worker has loaded and takes queries; rejects with LAKE_WORKER_LOST if it dies first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  #child: ChildProcess;
  #state: 'alive' | 'killed' | 'exited' = 'alive';
  #onExited: () => void = () => undefined;
  #onReady: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** The worker's resident memory once loaded, before any query. */
  #baselineMb: number | undefined;
  #ids = 0;
  #running: Running | undefined;
  #startLimit: NodeJS.Timeout;

  constructor() {
    const { script, execArgv } = workerScript();
    this.#child = fork(script, [], {
      execArgv,
      serialization: 'advanced',
      // the worker writes nothing to stdout; a crash's trace goes where the parent's own errors go
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => (this.#onExited = resolve));
    this.ready = new Promise((resolve, reject) => (this.#onReady = { resolve, reject }));
    // a worker nobody waits for may die loading: that is answered to whoever runs a query in it
    this.ready.catch(() => undefined);
    this.#child.once('exit', (code, signal) => this.#ended(code, signal));
    // a fork that could not start (no pid) never exits; any later error (a failed kill) leaves it to its exit
    this.#child.on('error', (error) => {
      if (this.#child.pid === undefined) this.#ended(null, null, error);
      else this.kill();
    });
    this.#child.on('message', (message: FromWorker) => this.#onMessage(message));
    this.#startLimit = setTimeout(() => this.kill(), START_LIMIT_MS);
    this.#startLimit.unref();
    // held while it loads, for the query that waits for it
    this.#hold(true);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** False once the worker was killed or has exited: it takes no more queries. */
  get alive(): boolean {
    return this.#state === 'alive';
  }

  /**
   * Runs one query in the worker. Settles once the worker is done with it: with the answer, the worker's coded
   * error, LAKE_QUERY_OUT_OF_MEMORY when its peak passed `workerMemoryMb`, or LAKE_WORKER_LOST when it died.
   */
  run(request: LakeRequest, bounds: WorkerBounds, stop: LakeQueryStop): Promise<LakeAnswer> {
    if (this.#state !== 'alive') {
      return Promise.reject(new TributaryError('LAKE_WORKER_LOST', 'the lake query’s worker was stopped before the query began; the next query starts a new one', {}));
    }
    if (this.#running !== undefined || this.#onReady !== undefined) {
      return Promise.reject(new TributaryError('INTERNAL_ERROR', 'a lake worker runs one query at a time, once ready'));
    }
    const id = ++this.#ids;
    return new Promise<LakeAnswer>((resolve, reject) => {
      const running: Running = {
        id,
        rowCap: request.limits.rows,
        bounds,
        rows: [],
        resolve,
        reject,
        watch: setInterval(() => this.#watchMemory(), MEMORY_WATCH_MS),
        grace: undefined,
        killedFor: undefined,
      };
      running.watch.unref();
      this.#running = running;
      this.#hold(true);
      this.#send({ type: 'query', id, request });
      stop.onStop(() => {
        if (this.#running !== running) return;
        this.#send({ type: 'interrupt', id });
        running.grace = setTimeout(() => this.kill(), KILL_GRACE_MS);
      });
    });
  }

  /** Ends the worker at once (SIGKILL); a query in flight rejects with `reason`, or LAKE_WORKER_LOST. */
  kill(reason?: TributaryError): void {
    if (this.#state === 'exited') return;
    if (this.#running !== undefined && this.#running.killedFor === undefined) this.#running.killedFor = reason;
    this.#state = 'killed';
    this.#child.kill('SIGKILL');
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'ready') {
      clearTimeout(this.#startLimit);
      this.#baselineMb = this.#child.pid === undefined ? undefined : residentMemory(this.#child.pid)?.rssMb;
      this.#onReady?.resolve();
      this.#onReady = undefined;
      if (this.#running === undefined) this.#hold(false);
      return;
    }
    const running = this.#running;
    if (running === undefined || message.id !== running.id) return;
    if (message.type === 'rows') {
      // the worker keeps to the cap; the parent holds no more than it whatever arrives
      const room = running.rowCap - running.rows.length;
      running.rows.push(...(message.rows.length <= room ? message.rows : message.rows.slice(0, Math.max(room, 0))));
    } else if (message.type === 'done') {
      const overMemory = this.#overMemory(running.bounds);
      if (overMemory !== undefined) {
        // it finished between two readings: the bound holds for every query alike, however fast it ran
        this.kill(overMemory);
        return;
      }
      this.#settle();
      running.resolve({ rows: running.rows, truncated: message.truncated });
      this.#retireIfSwollen(running.bounds);
    } else {
      this.#settle();
      running.reject(decodeError(message.error));
      this.#retireIfSwollen(running.bounds);
    }
  }

  #watchMemory(): void {
    const running = this.#running;
    if (running === undefined) return;
    const overMemory = this.#overMemory(running.bounds);
    if (overMemory !== undefined) this.kill(overMemory);
  }

  #overMemory(bounds: WorkerBounds): TributaryError | undefined {
    const memory = this.#child.pid === undefined ? undefined : residentMemory(this.#child.pid);
    if (memory === undefined || memory.peakMb <= bounds.workerMemoryMb) return undefined;
    const residentMb = Math.round(memory.peakMb);
    return new TributaryError(
      'LAKE_QUERY_OUT_OF_MEMORY',
      `the lake query's process reached ${residentMb} MiB, beyond its bound of ${bounds.workerMemoryMb} MiB ` +
        `(DuckDB's own limit of ${bounds.memoryMb} MiB does not cover every value), and was stopped`,
      { memoryMb: bounds.memoryMb, workerMemoryMb: bounds.workerMemoryMb, residentMb },
    );
  }

  /**
   * Whether the worker has room for a query bounded at `workerMemoryMb`: the allocator keeps much of what a large
   * query freed, and a worker holding more than half its room above what it started with is better replaced.
   */
  hasRoom(workerMemoryMb: number): boolean {
    const memory = this.#child.pid === undefined ? undefined : residentMemory(this.#child.pid);
    const baseline = this.#baselineMb ?? 0;
    return memory === undefined || memory.rssMb - baseline <= (workerMemoryMb - baseline) / 2;
  }

  #retireIfSwollen(bounds: WorkerBounds): void {
    if (!this.hasRoom(bounds.workerMemoryMb)) this.kill();
  }

  #settle(): void {
    const running = this.#running;
    if (running === undefined) return;
    clearInterval(running.watch);
    clearTimeout(running.grace);
    this.#running = undefined;
    this.#hold(false);
  }

  #ended(code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (this.#state === 'exited') return;
    this.#state = 'exited';
    clearTimeout(this.#startLimit);
    const running = this.#running;
    this.#settle();
    const lost = workerLost(code, signal, error);
    running?.reject(running.killedFor ?? lost);
    this.#onReady?.reject(lost);
    this.#onReady = undefined;
    this.#onExited();
  }

  #send(message: ToWorker): void {
    if (this.#state !== 'alive' || !this.#child.connected) return;
    // a send that fails means the channel broke: the worker is as good as gone
    this.#child.send(message, (error) => {
      if (error !== null) this.kill();
    });
  }

  /** A busy worker keeps its parent's event loop open, an idle one does not: a CLI or a test exits without waiting for it. */
  #hold(busy: boolean): void {
    if (busy) {
      this.#child.ref();
      this.#child.channel?.ref();
    } else {
      this.#child.unref();
      this.#child.channel?.unref();
    }
  }
}

function workerLost(code: number | null, signal: NodeJS.Signals | null, error: Error | undefined): TributaryError {
  const how = error !== undefined ? `could not start (${error.message})` : signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  return new TributaryError(
    'LAKE_WORKER_LOST',
    `the process running the lake query ${how} before it answered; the next query starts a new one`,
    { exitCode: code, signal },
    error === undefined ? undefined : { cause: error },
  );
}

let worker: { script: string; execArgv: string[] } | undefined;

/** The worker next to this module: its .ts under tsx when this runs from source, its .js in the built package. */
function workerScript(): { script: string; execArgv: string[] } {
  if (worker !== undefined) return worker;
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return (worker = { script: join(dirname(here), 'lake-worker.js'), execArgv: [] });
  // tsx is a development dependency: only source runs (tests, tsx scripts) load it, and only once a lake query runs
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return (worker = { script: join(dirname(here), 'lake-worker.ts'), execArgv: ['--import', tsx] });
}
