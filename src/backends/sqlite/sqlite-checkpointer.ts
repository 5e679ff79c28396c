import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often a busy writer may start a checkpoint: each one syncs the database file, so they are not run after every commit. */
const CHECKPOINT_INTERVAL_MS = 200;

// CommonJS run by the worker: its own connection to the file, checkpointing when asked
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
// FULL: the WAL is synced before it is copied and the database file after, before the WAL can be reused
db.pragma('synchronous = FULL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message) });
  }
});
`;

/**
 * Checkpoints the WAL into the database file from a worker thread, so the
 * copy and its two fsyncs never hold the event loop. The store's connection
 * runs with `wal_autocheckpoint = 0`; after commits reach the disk it calls
 * `commitsSynced`, and a checkpoint starts when none is running and the last
 * began long enough ago. No timer: what the last commits of a burst left in
 * the WAL waits for the next commit or for the connection's close, which
 * checkpoints. If the worker fails, the connection checkpoints by itself
 * again (`fallBack`), so the WAL never grows without bound.
 */
export class WalCheckpointer {
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  readonly #fallBack: (reason: string) => void;
  #worker: Worker | undefined;
  #running = false;
  #wanted = false;
  #lastStart = 0;
  #failed = false;
  #closed = false;

  constructor(path: string, busyTimeoutMs: number, fallBack: (reason: string) => void) {
    this.#path = path;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#fallBack = fallBack;
  }

  /** Commits reached the disk: a checkpoint is due. */
  commitsSynced(): void {
    if (this.#failed || this.#closed) return;
    this.#wanted = true;
    this.#start();
  }

  /** Stops the worker after a checkpoint it is running. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // held by the process until it has closed its connection, though it never holds it while idle
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  #start(): void {
    if (this.#running || !this.#wanted || Date.now() - this.#lastStart < CHECKPOINT_INTERVAL_MS) return;
    this.#wanted = false;
    this.#running = true;
    this.#lastStart = Date.now();
    this.#workerStarted().postMessage('checkpoint');
  }

  // started at the first commit: a handle that only reads never pays for a thread
  #workerStarted(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.#path, busyTimeoutMs: this.#busyTimeoutMs } });
    worker.unref();
    worker.on('message', (outcome: { ok: boolean; message?: string }) => {
      this.#running = false;
      if (!outcome.ok) this.#fail(`a checkpoint failed: ${outcome.message ?? 'unknown error'}`);
    });
    worker.on('error', (error) => this.#fail(`the checkpoint thread failed: ${error.message}`));
    this.#worker = worker;
    return worker;
  }

  #fail(reason: string): void {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    this.#running = false;
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate();
    this.#fallBack(reason);
  }
}
