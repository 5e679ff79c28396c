import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { CopyCheckpoint, CopyHead, LogCopyTarget } from '../store/log-copy.js';
import type { BackupHeader } from './backup-format.js';
import { sameCheckpoint } from './backup-reader.js';

/**
 * Checks that an incremental backup can go on top of `target`: a restore of
 * the same store, standing exactly where the backup starts, written to by
 * nothing since: neither its head nor its last stream change moved. MIRROR_TARGET_REFUSED with `reason`, `expected` and `found` otherwise.
 */
export async function checkIncrementBase(copyTarget: LogCopyTarget, target: Pick<EventStore, 'location' | 'headPosition' | 'copySource'>, header: BackupHeader): Promise<void> {
  const refuse = (reason: string, message: string, expected: unknown, found: unknown) =>
    new TributaryError('MIRROR_TARGET_REFUSED', `${target.location} cannot take the incremental backup ${header.backupId}: ${message}`, { reason, expected, found });
  const state = await copyTarget.copyState();
  if (state === undefined || state.role !== 'restored') {
    throw refuse('not-restored', 'it is not a restore of a backup; restore the full backup first, then each increment in order', 'restored', state?.role ?? null);
  }
  if (state.sourceId !== header.storeId) throw refuse('other-source', 'it is a restore of another store', header.storeId, state.sourceId);
  if (!sameCheckpoint(state.checkpoint, header.from)) {
    throw refuse('wrong-base', 'it stands elsewhere than where the increment starts; restore the backups in order', header.from, state.checkpoint);
  }
  // an append moves the head; metadata, a delete or a scavenge moves only the store-wide change number
  const found = target.copySource === undefined ? { position: await target.headPosition(), change: state.checkpoint.change } : positionOf(await target.copySource.copyHead());
  if (!sameCheckpoint(found, state.checkpoint)) {
    throw refuse('written-since', 'it was written to after its restore, so increments of the source no longer fit', state.checkpoint, found);
  }
}

function positionOf(head: CopyHead): CopyCheckpoint {
  return { position: head.head, change: head.lastChange };
}
