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

/** The signals of one kind, one per database file in this process, each with its file `<database><suffix>`. */
class SignalFiles {
  readonly #suffix: string;
  readonly #signals = new Map<string, ChangeSignal>();

  constructor(suffix: string) {
    this.#suffix = suffix;
  }

  /** The signal of the database at `path` (`:memory:` databases get a private one). */
  for(path: string): ChangeSignal {
    if (path === ':memory:') return new ChangeSignal(undefined, () => undefined);
    let signal = this.#signals.get(path);
    if (signal === undefined) {
      // forgotten once no handle listens, so a process opening many files does not keep them all
      signal = new ChangeSignal(`${path}${this.#suffix}`, () => this.#signals.delete(path));
      this.#signals.set(path, signal);
    }
    return signal;
  }

  /** Raises the signal of `path` here and in other processes, keeping nothing open when nobody here listens. */
  notify(path: string): void {
    const signal = this.#signals.get(path);
    if (signal !== undefined) return signal.notify();
    try {
      const fd = openSync(`${path}${this.#suffix}`, constants.O_WRONLY | constants.O_CREAT);
      try {
        writeSync(fd, TICK, 0, 1, 0);
      } finally {
        closeSync(fd);
      }
    } catch {
      // as for a commit: other processes' members see the change at their next heartbeat
    }
  }
}

const changes = new SignalFiles('-signal');
const groups = new SignalFiles('-groups');

/** The change signal of the database at `path` (`:memory:` databases get a private one). */
export function changeSignalFor(path: string): ChangeSignal {
  return changes.for(path);
}

/** Tells listeners in any process that a consumer group changed, through a signal of its own. */
export interface GroupSignal {
  subscribe(listener: Listener): () => void;
  notify(): void;
}

/**
 * "A consumer group in the database changed" (a member joined, left, or let
 * go of partitions): a second signal file, `<file>-groups`, so members are not
 * woken by every commit of a busy log. It names no group: a member told of a
 * change in another group beats once to no effect.
 */
export function groupSignalFor(path: string): GroupSignal {
  if (path === ':memory:') return changes.for(path);
  return { subscribe: (listener) => groups.for(path).subscribe(listener), notify: () => groups.notify(path) };
}
