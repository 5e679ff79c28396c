import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { copyStandsAt, sameCheckpoint, type CopyCheckpoint, type LogCopyTarget } from '../store/log-copy.js';
import type { BackupHeader } from './backup-format.js';

/** The store a restore writes into. */
export type RestoreTarget = Pick<EventStore, 'location' | 'copyTarget' | 'copySource' | 'headPosition'>;

/**
 * Where a backup's batches start being written into `target`: its `from` on
 * an empty store, made a copy of the backup's store here (a full backup); or
 * the checkpoint of a store restored from the same store, standing between
 * the backup's `from` and `until` (an increment on top of the backup it
 * follows, or a restore of this very file that stopped halfway), written to
 * by nothing since: neither its head nor its last stream change moved.
 * MIRROR_TARGET_REFUSED with `reason`, `expected` and `found` otherwise.
 */
export async function restoreStart(copyTarget: LogCopyTarget, target: RestoreTarget, header: BackupHeader): Promise<CopyCheckpoint> {
  const refuse = (reason: string, message: string, expected: unknown, found: unknown) =>
    new TributaryError('MIRROR_TARGET_REFUSED', `${target.location} cannot take the backup ${header.backupId}: ${message}; nothing was written`, { reason, expected, found });
  const state = await copyTarget.copyState();
  if (state?.role !== 'restored' && header.since === null) {
    // refuses any store that is not empty, this one's own source included
    await copyTarget.beginCopy(header.storeId, header.sourceLocation, 'restored');
    return header.from;
  }
  if (state?.role !== 'restored') {
    throw refuse('not-restored', 'it is not a restore of a backup; restore the full backup first, then each increment in order', 'restored', state?.role ?? null);
  }
  if (state.sourceId !== header.storeId) throw refuse('other-source', 'it is a restore of another store', header.storeId, state.sourceId);
  if (before(state.checkpoint, header.from) || before(header.until, state.checkpoint)) {
    throw refuse('wrong-base', 'it stands outside the stretch of the log the backup holds; restore the backups in order', header.from, state.checkpoint);
  }
  // an append moves the head; metadata, a delete or a scavenge moves only the store-wide change number
  const found = target.copySource === undefined ? { position: await target.headPosition(), change: state.checkpoint.change } : await copyStandsAt(target.copySource);
  if (!sameCheckpoint(found, state.checkpoint)) {
    throw refuse('written-since', 'it was written to after its restore, so backups of the source no longer fit', state.checkpoint, found);
  }
  return state.checkpoint;
}

/** The refusal for a store standing inside the backup but not where one of its batches ends. */
export function notABatchEnd(target: RestoreTarget, header: BackupHeader, found: CopyCheckpoint): TributaryError {
  return new TributaryError('MIRROR_TARGET_REFUSED', `${target.location} cannot take the backup ${header.backupId}: it stands where no batch of it ends; nothing was written`, {
    reason: 'wrong-base',
    expected: header.from,
    found,
  });
}

/** True when `a` comes before `b` in either counter. */
export function before(a: CopyCheckpoint, b: CopyCheckpoint): boolean {
  return a.position < b.position || a.change < b.change;
}
