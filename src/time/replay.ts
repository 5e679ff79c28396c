import { resolve } from 'node:path';
import type { AsOf } from '../core/as-of.js';
import { TributaryError } from '../core/errors.js';
import { consumerNameOf, type ProjectionDefinition, type ProjectionHandler } from '../projections/definition/projection.js';
import { runProjection } from '../projections/feeding/runner.js';
import { addDeclaredProjection } from '../projections/lifecycle/file-projections.js';
import type { EventStore } from '../store/event-store.js';
import { recordingsOf, type GatewayRecordings } from '../store/gateway-recordings.js';
import { runAsReplay } from '../subscriptions/handling.js';
import { runInReplay, type ReplayInfo } from './replay-context.js';
import { checkReplayTarget } from './replay-target.js';
import { replayUntil } from './replay-until.js';
import { replayView } from './replay-view.js';
import { redirectedTo, settleReplayable, type ReplayableProjection } from './replayable.js';

/**
 * Where and up to where a replay builds. The scratch store `into` is always a
 * store: it keeps the projection's registry row and checkpoint (and a SQL
 * sink's tables), so the usual tools read it as they read a live store. A lake
 * keeps its rows in files, which no database holds: they go to `lakeDirectory`.
 */
export interface ReplayOptions {
  /** Build the projection as it stood here: a position or a time (see AsOf); default the source's head when the replay starts. */
  until?: AsOf;
  /** An empty store other than the source: no events, projections, consumers or tables of the projection's names. */
  into: EventStore;
  /** A lake projection's root in the replay (it writes under `<lakeDirectory>/<name>/g1`); empty or missing. Lake projections only. */
  lakeDirectory?: string;
  /** Called before each page the replay reads, with how far it has come, and once at the end with `position === until`. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Aborting it stops the replay (the scratch store keeps what was built) and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Errors the replay recovers from by itself (a handler failing and retried), for logging. */
  onError?: (error: unknown) => void;
  /** Events per transaction; default 1,000, as a rebuild. */
  pageSize?: number;
}

export interface ReplayProgress {
  /** Every event up to here is handled. */
  position: number;
  until: number;
}

export interface ReplayResult {
  projection: string;
  /** The position the projection was built up to. */
  until: number;
  /** The generation the scratch store's readers see. */
  generation: number;
  /** Events whose handler failed every attempt: parked in the scratch store, as a live run would park them. */
  parked: number;
  /** Where a lake projection's files are (absolute). */
  lakeDirectory?: string;
}

// how often the replay looks whether its consumer stopped on a fault
const WATCH_MS = 500;

/**
 * Builds a projection as it stood at `until` into a scratch store, with the
 * same runner a rebuild uses, reading `source` (a live store or a branch)
 * and writing nothing to it: no checkpoint, no registry row, no consumer, no
 * file. Handlers can tell with `currentReplay()`. Errors: INVALID_AS_OF,
 * INVALID_REPLAY_TARGET (the source itself, or a scratch store or lake
 * directory that is not empty; nothing is written), INVALID_PROJECTION.
 *
 * ```ts
 * const scratch = await openStore('./orders-in-march.db');
 * await replayProjection(store, orders, { until: '2026-03-31T23:59:59Z', into: scratch });
 * await scratch.sql!.query('SELECT * FROM orders');
 * ```
 */
export async function replayProjection<Context>(source: EventStore, projection: ReplayableProjection<Context>, options: ReplayOptions): Promise<ReplayResult> {
  const { into, signal, onProgress } = options;
  const settled = settleReplayable<Context>(projection);
  const until = await replayUntil(source, options.until);
  await checkReplayTarget(source, into, settled.definition, options.lakeDirectory);
  signal?.throwIfAborted();
  const lakeDirectory = options.lakeDirectory === undefined ? undefined : resolve(options.lakeDirectory);
  const { definition, declared } = redirectedTo(settled, lakeDirectory);
  const info: ReplayInfo = { projection: definition.name, until, source: source.location, into: into.location };
  let caughtUp!: () => void;
  const reached = new Promise<void>((done) => (caughtUp = done));
  const view = replayView(source, into, until, { reading: (position) => onProgress?.({ position, until }), caughtUp });
  return runInReplay(info, async () => {
    if (declared !== null) await addDeclaredProjection(view, declared);
    const running = await runProjection(view, inReplay(definition, info, recordingsOf(source)), {
      declared: declared ?? undefined,
      pageSize: options.pageSize,
      onError: options.onError,
    });
    try {
      await untilDone(reached, into, consumerNameOf(definition.name, 1), signal);
    } finally {
      await running.stop();
    }
    const consumer = await into.consumers.get(consumerNameOf(definition.name, 1));
    onProgress?.({ position: until, until });
    return { projection: definition.name, until, generation: 1, parked: consumer?.parked ?? 0, ...(lakeDirectory === undefined ? {} : { lakeDirectory }) };
  });
}

/**
 * Each handler runs inside the replay, however the store schedules its
 * transactions, and its gateway answers from the source's recordings: a
 * replay of a branch as a branch replay, any other as a clean-room one.
 */
function inReplay(definition: ProjectionDefinition<unknown>, info: ReplayInfo, recordings: GatewayRecordings | undefined): ProjectionDefinition<unknown> {
  const mode = recordings?.branch === undefined ? 'clean-room' : 'branch';
  const handlers = Object.fromEntries(
    Object.entries(definition.handlers).map(([type, handler]): [string, ProjectionHandler<unknown>] => [
      type,
      (event, context) => runInReplay(info, () => runAsReplay(mode, recordings, () => handler(event, context))),
    ]),
  );
  return { ...definition, handlers };
}

/** Waits until the consumer has handled everything up to `until`; rejects when it stopped on a fault or the signal aborted. */
async function untilDone(reached: Promise<void>, into: EventStore, consumer: string, signal: AbortSignal | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    const watch = async () => {
      const fault = (await into.consumers.get(consumer).catch(() => undefined))?.fault;
      if (fault !== null && fault !== undefined) reject(new TributaryError('HANDLER_FAILED', `the replay stopped: ${fault}`, { consumer, fault }));
      else timer = setTimeout(() => void watch(), WATCH_MS);
    };
    timer = setTimeout(() => void watch(), WATCH_MS);
    onAbort = () => reject(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([reached, failed]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}
