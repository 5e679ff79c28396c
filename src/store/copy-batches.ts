import type { CopiedStream, CopyBatch, CopyCheckpoint, CopyHead, LogCopyReads } from './log-copy.js';

/** Events a copy batch carries by default: about a megabyte of 1 KB events, one transaction on the target. */
export const COPY_BATCH_EVENTS = 2000;

/** Stream changes read from the source at a time. */
const CHANGES_PAGE = 1000;

export interface CopyBatchOptions {
  /** Copy up to this head (a snapshot's); default the source's head when the copy starts. */
  until?: CopyHead;
  /** Most events in one batch; default COPY_BATCH_EVENTS. */
  batchEvents?: number;
}

/**
 * The batches that bring a copy standing at `from` up to the source's head:
 * each a run of events in position order with the stream changes made up to
 * its last event, and the checkpoint after it. A change is carried only once
 * the events up to its `changedAt` are, so the copy applies every stream row
 * at the place in the log it was made. Changes made beyond the head are left
 * for the next call. Used alike by mirrors, backups and restores.
 */
export async function* copyBatches(reads: LogCopyReads, from: CopyCheckpoint, options: CopyBatchOptions = {}): AsyncGenerator<CopyBatch> {
  const until = options.until ?? (await reads.copyHead());
  const batchEvents = options.batchEvents ?? COPY_BATCH_EVENTS;
  const pending: CopiedStream[] = [];
  let readChangesAfter = from.change;
  let changesLeft = true;
  let checkpoint = from;
  for (;;) {
    const events = await reads.readCopyEvents(checkpoint.position, until.head, batchEvents);
    // a short page reached the head: the gaps before it (scavenged positions) are copied too
    let reached = events.length < batchEvents ? Math.max(until.head, checkpoint.position) : events[events.length - 1]![0];
    const changes: CopiedStream[] = [];
    // as many changes as events at most, so a store of many streams copies in batches too; the rest lead the next batch
    while (changes.length < batchEvents) {
      if (pending.length === 0 && changesLeft) {
        const page = await reads.readStreamChanges(readChangesAfter, CHANGES_PAGE);
        pending.push(...page);
        if (page.length > 0) readChangesAfter = page[page.length - 1]!.changed;
        changesLeft = page.length === CHANGES_PAGE;
      }
      const next = pending[0];
      if (next === undefined || next.changedAt > reached) break;
      changes.push(pending.shift()!);
    }
    const deferred = pending[0];
    if (deferred !== undefined && deferred.changedAt < reached) {
      // changes left for the next batch must still come before the events made after them
      reached = Math.max(deferred.changedAt, checkpoint.position);
      const cut = events.findIndex((row) => row[0] > reached);
      if (cut >= 0) events.splice(cut);
    }
    if (events.length === 0 && changes.length === 0 && reached === checkpoint.position) return;
    const after: CopyCheckpoint = { position: reached, change: changes.length === 0 ? checkpoint.change : changes[changes.length - 1]!.changed };
    yield { events, changes, checkpoint: after, head: until.head, sourceHead: until.head };
    checkpoint = after;
  }
}
