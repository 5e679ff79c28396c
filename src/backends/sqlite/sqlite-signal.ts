import { watch, type FSWatcher } from 'node:fs';

type Listener = () => void;

/**
 * "The database file changed": raised by this process's own commits at once,
 * and by other processes' commits through a watch on the WAL file (inotify on
 * Linux), so waiting for new events never polls. One per file per process,
 * shared by every handle on that file.
 */
class ChangeSignal {
  readonly #listeners = new Set<Listener>();
  readonly #walPath: string | undefined;
  readonly #onIdle: () => void;
  #watcher: FSWatcher | undefined;

  /** `onIdle` runs when the last listener leaves. */
  constructor(walPath: string | undefined, onIdle: () => void) {
    this.#walPath = walPath;
    this.#onIdle = onIdle;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#watcher === undefined && this.#walPath !== undefined) {
      try {
        this.#watcher = watch(this.#walPath, { persistent: false }, () => this.notify());
        this.#watcher.on('error', () => this.#stopWatching());
      } catch {
        // no WAL file to watch (yet): in-process commits still signal
      }
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      this.#stopWatching();
      this.#onIdle();
    };
  }

  notify(): void {
    for (const listener of this.#listeners) listener();
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

const signals = new Map<string, ChangeSignal>();

/** The change signal of the database at `path` (`:memory:` databases get a private one). */
export function changeSignalFor(path: string): ChangeSignal {
  if (path === ':memory:') return new ChangeSignal(undefined, () => undefined);
  let signal = signals.get(path);
  if (signal === undefined) {
    // forgotten once no handle listens, so a process opening many files does not keep them all
    signal = new ChangeSignal(`${path}-wal`, () => signals.delete(path));
    signals.set(path, signal);
  }
  return signal;
}
