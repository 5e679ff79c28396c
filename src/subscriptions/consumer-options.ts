import { invalidArgument } from '../core/errors.js';
import type { EventOf, RecordedEvent, UntypedEvents } from '../core/event.js';
import type { SqlTransaction } from '../store/consumer-store.js';
import type { LogFilter } from '../store/event-store.js';
import { nonNegativeInteger, normalizeFilter, pageLimit } from '../store/options.js';
import type { ReplayMode } from './handling.js';
import { settleRetryPolicy, type RetryPolicy, type SettledRetryPolicy } from './retry.js';

export interface HandlerContext {
  /** 1 on the first call for an event, then 2, 3, … on retries. */
  attempt: number;
  /** The group partition the event's stream belongs to (0 for a lone consumer). */
  partition: number;
  member: string;
  /** Aborted when the consumer stops or the event's partition moves to another member: long handlers should give up. */
  signal: AbortSignal;
  /**
   * False on the first handling of the event (catching up after downtime
   * included); 'redelivery' on a retry or a parked event replayed. Calls to
   * the outside world go through the gateway, which acts on it.
   */
  replay: ReplayMode;
}

/** Handles one event; a throw is retried, then the event is parked (or the consumer stops). */
export type EventHandler<Event extends RecordedEvent = RecordedEvent> = (event: Event, context: HandlerContext) => unknown;

/**
 * Handles a batch of events inside the store's own transaction, which also
 * moves the checkpoint: the batch's effects and the checkpoint commit
 * together, so each event's effect happens exactly once. Write through `tx`:
 * a write through the store from here fails with TRANSACTION_REENTRY.
 */
export type TransactionHandler<Event extends RecordedEvent = RecordedEvent> = (
  events: readonly Event[],
  tx: SqlTransaction,
  context: HandlerContext,
) => Promise<void>;

export interface GroupOptions {
  /** How many partitions the streams are spread over; fixed when the group is first created. Default 16. */
  partitions?: number;
}

/**
 * A consumer's options; `Events`, an event map such as the generated
 * `TributaryEvents`, types what the handler gets. It is a promise about what
 * the filter selects: name only the map's types in `filter.types`.
 */
export interface ConsumerOptions<Events extends object = UntypedEvents> {
  /** Names the checkpoint; a consumer started again with the same name resumes from it. */
  name: string;
  /** Which events of the log it handles: categories, types, a stream prefix and tags (an event must carry them all). */
  filter?: LogFilter;
  /** Where a consumer without a stored checkpoint starts: default `'beginning'`. */
  start?: 'beginning' | 'end' | number;
  /** Exactly one of `handler` and `transaction`. */
  handler?: EventHandler<EventOf<Events>>;
  transaction?: TransactionHandler<EventOf<Events>>;
  /** Share the work with every other process that starts a consumer of this name with `group`. */
  group?: GroupOptions | true;
  /** This process's member name; default host, pid and a random part. */
  member?: string;
  /**
   * Save the checkpoint every this many handled events (default 1,000)… Saves run while
   * handling goes on; the stored checkpoint trails by at most this plus the save in flight.
   */
  checkpointEvents?: number;
  /** …or this many milliseconds behind (default 1,000). */
  checkpointMs?: number;
  /**
   * For a handler that buffers its effects (a file written in rolls): the last
   * position whose effects are durable. Saved checkpoints never pass it, so a
   * restart hands the buffered events over again.
   */
  durableThrough?: () => number;
  retry?: RetryPolicy;
  /** When every attempt failed: park the event and go on (default), or stop as faulted. */
  onFailure?: 'park' | 'stop';
  /** A member not heard from for this long is gone and its partitions move; default 10,000 ms. */
  leaseMs?: number;
  /**
   * How often a member renews its lease, reports its state and looks at its
   * group; default a quarter of `leaseMs`, and in a group no more than
   * `checkpointMs`, so a member that joins gets its share within about that.
   */
  heartbeatMs?: number;
  /** Events read per page; default 500. */
  pageSize?: number;
  /**
   * How many events the handler may have in hand at once (default 1), never
   * two of one stream: an event waits until the one before it in its stream is
   * handled or parked. Checkpoints stay below the first event not yet handled.
   * At most 1,000; only with `handler`.
   */
  window?: number;
  /** Errors the consumer recovers from by itself (the store unreachable, a lost partition), for logging. */
  onError?: (error: unknown) => void;
}

export interface SettledConsumerOptions {
  name: string;
  filter: LogFilter;
  start: 'beginning' | 'end' | number;
  handler: EventHandler | undefined;
  transaction: TransactionHandler | undefined;
  partitions: number;
  grouped: boolean;
  member: string;
  checkpointEvents: number;
  checkpointMs: number;
  durableThrough: (() => number) | undefined;
  retry: SettledRetryPolicy;
  onFailure: 'park' | 'stop';
  leaseMs: number;
  heartbeatMs: number;
  pageSize: number;
  window: number;
  onError: (error: unknown) => void;
}

const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MAX_PARTITIONS = 1024;
/** The most events a consumer (or an HTTP member) may have in hand at once. */
export const MAX_WINDOW = 1000;

export function settleConsumerOptions(options: ConsumerOptions, defaultMember: string): SettledConsumerOptions {
  if (typeof options.name !== 'string' || !CONSUMER_NAME.test(options.name)) {
    throw invalidArgument('name', `must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit; got ${JSON.stringify(options.name)}`);
  }
  if ((options.handler === undefined) === (options.transaction === undefined)) {
    throw invalidArgument('handler', 'give exactly one of handler and transaction');
  }
  const window = positive('window', options.window ?? 1);
  if (window > MAX_WINDOW) throw invalidArgument('window', `must be at most ${MAX_WINDOW}, got ${window}`);
  if (window > 1 && options.transaction !== undefined) throw invalidArgument('window', 'a transaction handler takes its events a page at a time; leave window out');
  const filter = options.filter ?? {};
  // refused here, before the consumer is registered with a filter no read accepts
  normalizeFilter(filter);
  const start = options.start ?? 'beginning';
  if (start !== 'beginning' && start !== 'end') nonNegativeInteger('start', start);
  const grouped = options.group !== undefined;
  const partitions = grouped && options.group !== true ? (options.group?.partitions ?? 16) : grouped ? 16 : 1;
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw invalidArgument('group.partitions', `must be an integer from 1 to ${MAX_PARTITIONS}, got ${JSON.stringify(partitions)}`);
  }
  const leaseMs = positive('leaseMs', options.leaseMs ?? 10_000);
  const checkpointMs = positive('checkpointMs', options.checkpointMs ?? 1_000);
  const quarterLease = Math.max(1, Math.floor(leaseMs / 4));
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? (grouped ? Math.min(quarterLease, checkpointMs) : quarterLease));
  if (heartbeatMs >= leaseMs) throw invalidArgument('heartbeatMs', `must be shorter than leaseMs (${leaseMs}), got ${heartbeatMs}`);
  return {
    name: options.name,
    filter,
    start,
    handler: options.handler,
    transaction: options.transaction,
    partitions,
    grouped,
    member: options.member ?? defaultMember,
    checkpointEvents: positive('checkpointEvents', options.checkpointEvents ?? 1_000),
    checkpointMs,
    durableThrough: options.durableThrough,
    retry: settleRetryPolicy(options.retry),
    onFailure: options.onFailure ?? 'park',
    leaseMs,
    heartbeatMs,
    pageSize: pageLimit(options.pageSize ?? 500),
    window,
    onError: options.onError ?? (() => undefined),
  };
}

function positive(name: string, value: number): number {
  if (nonNegativeInteger(name, value) === 0) throw invalidArgument(name, 'must be at least 1');
  return value;
}
