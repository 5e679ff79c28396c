import { TributaryError } from '../core/errors.js';
import { sameCheckpoint, type CopyCheckpoint } from '../store/log-copy.js';
import type { BackupContents } from './backup-format.js';
import { readBackup, verifyBackup } from './backup-reader.js';
import { before, notABatchEnd, restoreStart, type RestoreTarget } from './restore-base.js';

export interface RestoreOptions {
  /** Called after each batch is written. */
  onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoreProgress {
  /** Events written so far (or found written by a restore that stopped halfway), of `total` in the file. */
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
  /** What this call wrote: all of the file, less what a restore of it that stopped halfway wrote already. */
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
 * one on top of the restore of the backup it follows, untouched since. Run
 * again after it stopped halfway, it goes on from the last batch written. The
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

export type { RestoreTarget };

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
  const start = await restoreStart(copyTarget, target, header);
  let checkpoint = header.from;
  let reached = sameCheckpoint(checkpoint, start);
  const written = { batches: 0, events: 0, changes: 0 };
  let done = 0;
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
        const { batch } = item;
        if (reached) {
          await copyTarget.applyCopy(checkpoint, batch);
          written.batches++;
          written.events += batch.events.length;
          written.changes += batch.changes.length;
        } else if (before(start, batch.checkpoint)) {
          throw notABatchEnd(target, header, start);
        }
        checkpoint = batch.checkpoint;
        // the batches a restore stopped halfway wrote already are passed over
        reached ||= sameCheckpoint(checkpoint, start);
        done += batch.events.length;
        options.onProgress?.({ done, total: trailer.events });
      } else if ('tables' in item) {
        if (!reached) throw notABatchEnd(target, header, start);
        await copyTarget.replaceTables(item.tables);
      }
    }
  } catch (error) {
    // a write failed with the next line in hand: let it go and close the file
    await next.then(() => reading.return(contents), () => undefined);
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  return { file, backupId: header.backupId, storeId: header.storeId, since: header.since, checkpoint, ...written, seconds };
}
