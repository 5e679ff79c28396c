import { closeSync, constants, openSync, watch, writeSync, type FSWatcher } from 'node:fs';

type Listener = () => void;

const TICK = Buffer.from([1]);

/**
 * "The database file changed": raised by this process's own commits at once,
 * and by other processes' commits through a watch (inotify on Linux) on a
 * one-byte signal file beside the database, so waiting for new events never
 * polls. Every commit rewrites that byte after the commit is visible; the WAL
 * itself is no signal, because its last write lands before the commit can be
 * read. One per file per process, shared by every handle on that file.
 */
class ChangeSignal {
  readonly #listeners = new Set<Listener>();
  readonly #signalPath: string | undefined;
  readonly #onIdle: () => void;
  #watcher: FSWatcher | undefined;
  #fd: number | undefined;

  /** `onIdle` runs when the last listener leaves. */
  constructor(signalPath: string | undefined, onIdle: () => void) {
    this.#signalPath = signalPath;
    this.#onIdle = onIdle;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#watcher === undefined && this.#signalPath !== undefined) {
      try {
        this.#fd ??= openSync(this.#signalPath, constants.O_WRONLY | constants.O_CREAT);
        this.#watcher = watch(this.#signalPath, { persistent: false }, () => this.#raise());
        this.#watcher.on('error', () => this.#stopWatching());
      } catch {
        // a read-only folder: in-process commits still signal, other processes' are seen on their next wait
      }
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      this.#stopWatching();
      this.#onIdle();
    };
  }

  /** Called after each commit of this process: tells this process's listeners, then the other processes. */
  notify(): void {
    this.#raise();
    if (this.#fd === undefined) return;
    try {
      // the same byte at offset 0 each time: a modification to watch, never a growing file
      writeSync(this.#fd, TICK, 0, 1, 0);
    } catch {
      // the signal is an optimisation for other processes' latency; the commit itself stands
    }
  }

  #raise(): void {
    for (const listener of this.#listeners) listener();
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

const signals = new Map<string, ChangeSignal>();

/** The change signal of the database at `path` (`:memory:` databases get a private one). */
export function changeSignalFor(path: string): ChangeSignal {
  if (path === ':memory:') return new ChangeSignal(undefined, () => undefined);
  let signal = signals.get(path);
  if (signal === undefined) {
    // forgotten once no handle listens, so a process opening many files does not keep them all
    signal = new ChangeSignal(`${path}-signal`, () => signals.delete(path));
    signals.set(path, signal);
  }
  return signal;
}
