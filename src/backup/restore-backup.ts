import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { CopyCheckpoint } from '../store/log-copy.js';
import type { BackupContents } from './backup-format.js';
import { readBackup, verifyBackup } from './backup-reader.js';
import { checkIncrementBase } from './restore-base.js';

export interface RestoreOptions {
  /** Called after each batch is written. */
  onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoreProgress {
  /** Events written so far, of `total` in the file. */
  done: number;
  total: number;
}

export interface RestoreSummary {
  file: string;
  backupId: string;
  /** The id of the store the backup was taken of: the restored store is a copy of it. */
  storeId: string;
  since: string | null;
  /** Where the restored store stands now (the backup's `until`). */
  checkpoint: CopyCheckpoint;
  batches: number;
  events: number;
  changes: number;
  /** Time spent writing, after the file was checked. */
  seconds: number;
}

/**
 * Restores the backup in `file` into `target`. The whole file is checked
 * first (gzip, format, checksum, counts): any fault is BACKUP_CORRUPT and
 * nothing is written. A full backup goes into an empty store; an incremental
 * one on top of the restore of the backup it follows, untouched since. The
 * target ends as a normal writable store (copy role `restored`) holding the
 * source's events at their positions, its streams and its copied tables.
 * Errors: BACKUP_CORRUPT, MIRROR_TARGET_REFUSED, UNSUPPORTED_DATABASE (a target
 * that takes no copy: a server's URL).
 *
 * ```ts
 * const target = await openStore('postgres://db.internal/orders');
 * await restoreBackup('./backups/monday.tbk', target);
 * await restoreBackup('./backups/tuesday.tbk', target);
 * ```
 */
export async function restoreBackup(file: string, target: RestoreTarget, options: RestoreOptions = {}): Promise<RestoreSummary> {
  return await restoreVerified(file, await verifyBackup(file), target, options);
}

/** The store a restore writes into. */
export type RestoreTarget = Pick<EventStore, 'location' | 'copyTarget' | 'copySource' | 'headPosition'>;

/**
 * {@link restoreBackup} of a file {@link verifyBackup} has just checked, for a
 * caller that checks it before it opens (and so creates) the target.
 */
export async function restoreVerified(file: string, contents: BackupContents, target: RestoreTarget, options: RestoreOptions = {}): Promise<RestoreSummary> {
  const copyTarget = target.copyTarget;
  if (copyTarget === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${target.location} cannot be restored into: give a SQLite file or a postgres:// URL`, { location: target.location });
  }
  const started = performance.now();
  const { header, trailer } = contents;
  if (header.since === null) await copyTarget.beginCopy(header.storeId, header.sourceLocation, 'restored');
  else await checkIncrementBase(copyTarget, target, header);
  let checkpoint = header.from;
  let events = 0;
  const reading = readBackup(file);
  let next = reading.next();
  try {
    for (;;) {
      const read = await next;
      if (read.done === true) break;
      // the next line inflates and parses while this batch is written (a PostgreSQL target waits on the network)
      next = reading.next();
      const item = read.value;
      if ('batch' in item) {
        await copyTarget.applyCopy(checkpoint, item.batch);
        checkpoint = item.batch.checkpoint;
        events += item.batch.events.length;
        options.onProgress?.({ done: events, total: trailer.events });
      } else if ('tables' in item) {
        await copyTarget.replaceTables(item.tables);
      }
    }
  } catch (error) {
    // a write failed with the next line in hand: let it go and close the file
    await next.then(() => reading.return(contents), () => undefined);
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  const { batches, changes } = trailer;
  return { file, backupId: header.backupId, storeId: header.storeId, since: header.since, checkpoint, batches, events, changes, seconds };
}
