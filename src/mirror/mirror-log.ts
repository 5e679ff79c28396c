import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError, isTributaryError } from '../core/errors.js';
import { isAborted } from '../core/abort.js';
import { copyBatches } from '../store/copy-batches.js';
import type { EventStore } from '../store/event-store.js';
import { copyStandsAt, sameCheckpoint, type CopyCheckpoint, type CopyState, type LogCopySource, type LogCopyTarget } from '../store/log-copy.js';
import { copySourceOf, copyTargetOf } from './copy-ends.js';

export interface MirrorOptions {
  /** Keep following the source after the copy is up to date (default true); false returns once it is. */
  follow?: boolean;
  /** Catch up, copy the other tables, promote the target to a store of its own, and return. */
  promote?: boolean;
  /** Ends a following mirror (it finishes the batch in hand). */
  signal?: AbortSignal;
  /** Events per batch (one target transaction); default 2,000. */
  batchEvents?: number;
  /** How often the consumers, tokens and the rest are copied while following; default 10 s. */
  tablesEveryMs?: number;
  /** How long to wait for new events before looking for stream changes and promote requests again; default 1 s. */
  pollMs?: number;
  /** After each batch and each time the mirror catches up. */
  onProgress?: (progress: MirrorProgress) => void;
}

export interface MirrorProgress {
  /** `copying` until the copy first reaches the source's head, then `following`. */
  phase: 'copying' | 'following';
  /** Where the copy stands. */
  checkpoint: CopyCheckpoint;
  /** The source's head when last looked at. */
  sourceHead: number;
  /** Events written by this run. */
  copied: number;
}

export interface MirrorResult {
  checkpoint: CopyCheckpoint;
  copied: number;
  /** True when this run promoted the target. */
  promoted: boolean;
}

/** A running mirror writes at least this often, so `mirror status` and promote can tell it is alive. */
const HEARTBEAT_MS = 3_000;
/** Waits between tries when the source or target is briefly unreachable. */
const RETRY_MS = [250, 1_000, 5_000, 15_000];

/**
 * Copies `source` into `target` exactly — every event at its own position with
 * its id, stream, revision, recorded time and stored text; every stream's
 * metadata, deletion and scavenged gaps — then follows it until stopped. The
 * target must be empty, a mirror of the same source, or a restore of its
 * backup nothing was written to since (MIRROR_TARGET_REFUSED otherwise). Each
 * batch and the checkpoint commit in one target transaction, so a mirror
 * killed at any moment resumes where it stopped, without a gap or a duplicate.
 * While it is a mirror the target refuses writes (MIRROR_READ_ONLY).
 *
 * ```ts
 * const stop = new AbortController();
 * await mirrorLog(await openStore('./data/tributary.db'), await openStore('postgres://…'), { signal: stop.signal });
 * ```
 */
export async function mirrorLog(source: EventStore, target: EventStore, options: MirrorOptions = {}): Promise<MirrorResult> {
  const from = copySourceOf(source);
  const into = copyTargetOf(target);
  const sourceId = await from.storeId();
  let checkpoint = await claimTarget(sourceId, source.location, target, into);
  let copied = 0;
  let phase: MirrorProgress['phase'] = 'copying';
  let sourceHead: number;
  let lastWrite = Date.now();
  let lastTables = 0;
  let failures = 0;
  const follow = options.follow !== false && options.promote !== true;
  for (;;) {
    if (isAborted(options.signal)) break;
    try {
      // one round: up to the source's head as it is now
      const head = await from.copyHead();
      sourceHead = head.head;
      const batches = copyBatches(from, checkpoint, { until: head, ...(options.batchEvents === undefined ? {} : { batchEvents: options.batchEvents }) });
      for await (const batch of readingAhead(batches)) {
        await into.applyCopy(checkpoint, batch);
        checkpoint = batch.checkpoint;
        copied += batch.events.length;
        lastWrite = Date.now();
        options.onProgress?.({ phase, checkpoint, sourceHead, copied });
        if (isAborted(options.signal)) break;
      }
      failures = 0;
      if (isAborted(options.signal)) break;
      phase = 'following';
      const state = (await into.copyState())!;
      // promoted, or taken over, by another process meanwhile: this mirror is done
      refuseOtherCopies(state, sourceId, target.location);
      const promoting = options.promote === true || state.promoteRequestedAt !== null;
      if (promoting) {
        // writers have stopped: one more round picks up what came in while this one ran
        if (!(await caughtUp(from, checkpoint))) continue;
        await into.replaceTables(await from.readTables());
        await into.updateCopyState({ role: 'promoted', promoteRequestedAt: null, sourceHead: checkpoint.position });
        options.onProgress?.({ phase, checkpoint, sourceHead, copied });
        return { checkpoint, copied, promoted: true };
      }
      const now = Date.now();
      if (now - lastTables >= (options.tablesEveryMs ?? 10_000)) {
        await into.replaceTables(await from.readTables());
        lastTables = now;
        lastWrite = now;
      } else if (now - lastWrite >= HEARTBEAT_MS) {
        await into.updateCopyState({ sourceHead });
        lastWrite = now;
      }
      options.onProgress?.({ phase, checkpoint, sourceHead, copied });
      if (!follow) break;
      await source.waitForPosition(checkpoint.position, { timeoutMs: options.pollMs ?? 1_000, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    } catch (error) {
      if (isAborted(options.signal)) break;
      if (!isTributaryError(error) || !error.retriable) throw error;
      // the source or target is away for a moment (a restart, a network blip): the checkpoint is safe in the target
      await sleep(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)], undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
  return { checkpoint, copied, promoted: false };
}

/** Whether the source has nothing after `checkpoint`: no event and no stream change. */
async function caughtUp(from: LogCopySource, checkpoint: CopyCheckpoint): Promise<boolean> {
  const head = await from.copyHead();
  return head.head <= checkpoint.position && head.lastChange <= checkpoint.change;
}

/**
 * The checkpoint to go on from: a new mirror's (the target empty), or the one a
 * mirror of the same source, or a restore of its backup, left.
 */
async function claimTarget(sourceId: string, sourceLocation: string, target: EventStore, into: LogCopyTarget): Promise<CopyCheckpoint> {
  const state = await into.copyState();
  if (state === undefined) {
    await into.beginCopy(sourceId, sourceLocation, 'mirror');
    return { position: 0, change: 0 };
  }
  refuseOtherCopies(state, sourceId, target.location);
  if (state.role === 'restored') {
    // a restore goes on as a mirror only while nothing has been written to it: no event, and no stream change
    const found = await copyStandsAt(copySourceOf(target));
    if (!sameCheckpoint(found, state.checkpoint)) {
      throw new TributaryError('MIRROR_TARGET_REFUSED', `${target.location} was restored from a backup and written to since; it cannot follow the source`, {
        reason: 'written-since',
        expected: state.checkpoint,
        found,
      });
    }
    await into.updateCopyState({ role: 'mirror' });
  }
  return state.checkpoint;
}

function refuseOtherCopies(state: CopyState, sourceId: string, location: string): void {
  if (state.sourceId !== sourceId) {
    throw new TributaryError('MIRROR_TARGET_REFUSED', `${location} is a copy of store ${state.sourceId}, not of ${sourceId}`, {
      reason: 'other-source',
      expected: sourceId,
      found: state.sourceId,
    });
  }
  if (state.role === 'promoted') {
    throw new TributaryError('MIRROR_TARGET_REFUSED', `${location} was promoted to a store of its own; it no longer follows ${sourceId}`, {
      reason: 'promoted',
    });
  }
}

/**
 * The batches of `batches`, the next one read while the caller writes the one
 * in hand: the source's reads and the target's writes overlap.
 */
async function* readingAhead<T>(batches: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = batches.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done === true) return;
      next = batches.next();
      yield result.value;
    }
  } finally {
    // a read started for a batch nobody will take must not fail unseen
    next.catch(() => undefined);
  }
}
