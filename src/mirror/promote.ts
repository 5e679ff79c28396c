import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { CopyState } from '../store/log-copy.js';
import { copyTargetOf, mirrorRunning, mirrorStateOf } from './copy-ends.js';
import { mirrorLog } from './mirror-log.js';

export interface PromoteOptions {
  /** The source, when no mirror process runs: the rest of its log and its other tables are copied first. */
  source?: EventStore;
  /** How long to wait for a running mirror to catch up and promote; default 60 s. */
  timeoutMs?: number;
}

export interface PromoteResult {
  /** The last position copied: the promoted store's next event comes after the source's last. */
  position: number;
  /** What the copy had not reached of the source when it was promoted (0 when it was up to date, or when the source was not asked). */
  behind: number;
  /** `mirror`: the running mirror promoted it; `source`: this call copied the rest from the source; `as-is`: no source was reachable. */
  by: 'mirror' | 'source' | 'as-is';
}

/**
 * Makes a mirror a store of its own: it stops following and takes writes,
 * its positions continuing the source's. With `source`, this call copies the
 * last events and the other tables (consumer checkpoints, parked events,
 * tokens, lake projections), then promotes; stop the writers first. Without
 * it, a mirror process that is running is asked to do the same. With neither
 * (the source is lost), the mirror is promoted as it stands, and
 * `behind` says what the source had that it had not copied when last seen.
 * NOT_A_MIRROR for a store that is not one.
 *
 * ```ts
 * await promoteMirror(await openStore('postgres://…'), { source: await openStore('./data/tributary.db') });
 * ```
 */
export async function promoteMirror(target: EventStore, options: PromoteOptions = {}): Promise<PromoteResult> {
  const into = copyTargetOf(target);
  const state = await mirrorStateOf(target);
  if (options.source !== undefined) {
    // a mirror process still running loses the race on the checkpoint, or sees the promote, and stops
    const result = await mirrorLog(options.source, target, { promote: true });
    return { position: result.checkpoint.position, behind: 0, by: 'source' };
  }
  if (mirrorRunning(state)) return awaitPromotion(target, options.timeoutMs ?? 60_000);
  await into.updateCopyState({ role: 'promoted', promoteRequestedAt: null });
  return { position: state.checkpoint.position, behind: Math.max(0, state.sourceHead - state.checkpoint.position), by: 'as-is' };
}

/** Asks the running mirror to promote, and waits until it has. */
async function awaitPromotion(target: EventStore, timeoutMs: number): Promise<PromoteResult> {
  const into = copyTargetOf(target);
  await into.updateCopyState({ promoteRequestedAt: Date.now() });
  const deadline = Date.now() + timeoutMs;
  let state: CopyState | undefined;
  do {
    await sleep(100);
    state = await into.copyState();
    if (state?.role === 'promoted') return { position: state.checkpoint.position, behind: 0, by: 'mirror' };
  } while (Date.now() < deadline && state?.role === 'mirror');
  throw new TributaryError(
    'STORE_BUSY',
    `the mirror into ${target.location} did not promote within ${timeoutMs} ms: writers may still be appending to the source; it will promote once it catches up`,
    { location: target.location, timeoutMs },
  );
}
