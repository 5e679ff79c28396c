import { AsyncLocalStorage } from 'node:async_hooks';
import type { RecordedEvent } from '../core/event.js';
import type { GatewayRecordings } from '../store/gateway-recordings.js';

/**
 * Whether a handler meets its event for the first time (false) or again: a
 * projection generation rebuilding what the live one has handled, a
 * clean-room replay into a scratch store, a replay of a branch, or a
 * redelivery (a retry, a parked event replayed). Catching up after downtime
 * is a first handling.
 */
export type ReplayMode = false | 'rebuild' | 'clean-room' | 'branch' | 'redelivery';

/** The event a handler is handling, for the gateway: whose answers to look up, and whether it may call out. */
export interface Handling {
  /** `consumer:<name>` or `projection:<name>`: every generation of a projection shares its recordings. */
  readonly owner: string;
  /** Undefined in a transaction handler, which handles a batch: each call names its event, one of `batch`. */
  readonly event: RecordedEvent | undefined;
  readonly batch?: readonly RecordedEvent[];
  readonly replay: ReplayMode;
  /** Where the answers are kept: in a replay the source store's, never the scratch store's; undefined on a remote store. */
  readonly recordings: GatewayRecordings | undefined;
}

const handlings = new AsyncLocalStorage<Handling>();

/** The handling the calling code runs in, or undefined outside every handler. */
export function currentHandling(): Handling | undefined {
  return handlings.getStore();
}

/** Runs `work` (and everything it starts) as the handling of `handling.event`. */
export function runHandling<T>(handling: Handling, work: () => T): T {
  return handlings.run(handling, work);
}

/**
 * Runs `work` inside the current handling, seen as a replay of kind `replay`
 * answered from `recordings`: a clean-room replay's handlers run inside the
 * scratch store's handling, and answer from the source's recordings.
 */
export function runAsReplay<T>(replay: 'clean-room' | 'branch', recordings: GatewayRecordings | undefined, work: () => T): T {
  const handling = handlings.getStore();
  if (handling === undefined) return work();
  return handlings.run({ ...handling, replay, recordings }, work);
}

/**
 * Runs `work` inside the current handling with its recordings kept under
 * `owner`, met as `replay`: a lake projection's consumer answers as the
 * projection, and a generation being built knows a rebuild.
 */
export function runAsOwner<T>(owner: string, replay: ReplayMode, work: () => T): T {
  const handling = handlings.getStore();
  if (handling === undefined) return work();
  return handlings.run({ ...handling, owner, replay }, work);
}

/** The replay mode of the calling handler, false outside every handler: what the `replay` of the sinks' contexts reads. */
export function currentReplayMode(): ReplayMode {
  return handlings.getStore()?.replay ?? false;
}

/** The owner of a consumer's recordings. */
export function consumerOwner(consumer: string): string {
  return `consumer:${consumer}`;
}

/** The owner of a projection's recordings, the same for every generation. */
export function projectionOwner(projection: string): string {
  return `projection:${projection}`;
}
