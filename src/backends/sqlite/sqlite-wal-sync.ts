import { closeSync, fsync, openSync } from 'node:fs';

/** Flushes what a commit wrote to the file to the disk; resolves once it is there. */
export type SyncFile = () => Promise<void>;

/** How one file descriptor is flushed; `fs.fsync` by default, which runs on libuv's thread pool, not the event loop. */
export type FsyncFunction = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

/**
 * The write-ahead log of a database file, synced off the event loop. The
 * connection commits with `synchronous = NORMAL`, so a commit only writes the
 * WAL; this flushes it, and callers are answered after. Syncing the whole WAL
 * file after a commit is what `synchronous = FULL` does inside the commit:
 * checkpoints still sync the WAL before copying it and the database file after.
 */
export class WalSync {
  readonly #walPath: string;
  readonly #fsync: FsyncFunction;
  #fd: number | undefined;

  constructor(databasePath: string, fsyncFunction: FsyncFunction = fsync) {
    this.#walPath = `${databasePath}-wal`;
    this.#fsync = fsyncFunction;
  }

  readonly sync: SyncFile = () =>
    new Promise<void>((resolve, reject) => {
      try {
        // opened at the first sync: the WAL exists once something committed, and lives as long as a connection does
        this.#fd ??= openSync(this.#walPath, 'r');
      } catch (error) {
        reject(error);
        return;
      }
      this.#fsync(this.#fd, (error) => (error === null ? resolve() : reject(error)));
    });

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** A database with no file (`:memory:`) has nothing to sync. */
export const NO_SYNC: SyncFile = () => Promise.resolve();
