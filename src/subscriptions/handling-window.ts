import type { RecordedEvent } from '../core/event.js';
import type { Checkpoints } from './checkpoints.js';
import type { Delivery } from './delivery.js';
import type { PartitionProgress } from './partition-progress.js';

// events read ahead may wait behind their stream up to this many windows, so one busy stream cannot fill the memory
const WAITING_WINDOWS = 10;

/**
 * Handles up to `size` events at once, never two of one stream: an event
 * waits until the one before it in its stream is handled or parked. Each
 * partition's checkpoint stays below its first event not yet settled
 * (`PartitionProgress`), so a crash or a move hands the unsettled ones over
 * again, each stream in order. The events of a partition the member lets go
 * are dropped: their handlers are told through their signal.
 */
export class HandlingWindow {
  readonly #delivery: Delivery;
  readonly #progress: PartitionProgress;
  readonly #checkpoints: Checkpoints;
  readonly #size: number;
  readonly #failed: () => void;
  /** Streams with an event in flight, each with the events waiting behind it. */
  readonly #streams = new Map<string, { event: RecordedEvent; partition: number }[]>();
  #running = 0;
  #waiting = 0;
  #failure: { error: unknown } | undefined;
  #roomOrIdle: (() => void) | undefined;

  /** `failed` is told when a handling fails in a way the loop must deal with (faulted, the store unreachable). */
  constructor(parts: { delivery: Delivery; progress: PartitionProgress; checkpoints: Checkpoints }, size: number, failed: () => void) {
    this.#delivery = parts.delivery;
    this.#progress = parts.progress;
    this.#checkpoints = parts.checkpoints;
    this.#size = size;
    this.#failed = failed;
  }

  /** Hands the event out, or queues it behind its stream; resolves once there is room for another. */
  async admit(event: RecordedEvent, partition: number): Promise<void> {
    this.throwFailure();
    this.#progress.open(partition, event.position);
    const queue = this.#streams.get(event.stream);
    if (queue === undefined) {
      this.#streams.set(event.stream, []);
      this.#start(event, partition);
    } else {
      queue.push({ event, partition });
      this.#waiting++;
    }
    while (this.#failure === undefined && (this.#running >= this.#size || this.#waiting >= this.#size * WAITING_WINDOWS)) {
      await new Promise<void>((resolve) => (this.#roomOrIdle = resolve));
    }
    this.throwFailure();
  }

  /** Throws the failure a handling met, until `recover`. */
  throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Resolves once nothing is in flight; after a failure no waiting event starts. */
  async idle(): Promise<void> {
    while (this.#running > 0) await new Promise<void>((resolve) => (this.#roomOrIdle = resolve));
  }

  /**
   * After a failure: once nothing is in flight, forgets the events handed out
   * and pulls the cursor back to the first of them, so the loop reads them again.
   */
  async recover(): Promise<void> {
    if (this.#failure === undefined) return;
    await this.idle();
    this.#streams.clear();
    this.#waiting = 0;
    this.#failure = undefined;
    this.#progress.rewind();
  }

  #start(event: RecordedEvent, partition: number): void {
    this.#running++;
    let delivering: Promise<void> | undefined;
    try {
      delivering = this.#delivery.deliver(event, partition);
    } catch (error) {
      this.#finish(event, partition, { error });
      return;
    }
    if (delivering === undefined) this.#finish(event, partition, undefined);
    else delivering.then(() => this.#finish(event, partition, undefined), (error: unknown) => this.#finish(event, partition, { error }));
  }

  #finish(event: RecordedEvent, partition: number, failure: { error: unknown } | undefined): void {
    this.#running--;
    const mine = this.#progress.isOpen(partition, event.position);
    if (mine && failure === undefined) {
      this.#progress.settle(partition, event.position);
      this.#checkpoints.handled();
    } else if (mine && this.#failure === undefined) {
      // the loop rewinds to the first unsettled event once the window is idle
      this.#failure = failure;
      this.#failed();
    }
    this.#next(event.stream);
    const wake = this.#roomOrIdle;
    this.#roomOrIdle = undefined;
    wake?.();
  }

  /** Starts the next event waiting behind `stream`, skipping those of partitions let go meanwhile. */
  #next(stream: string): void {
    const queue = this.#streams.get(stream)!;
    for (let waiting = queue.shift(); waiting !== undefined; waiting = queue.shift()) {
      this.#waiting--;
      if (this.#failure !== undefined || !this.#progress.isOpen(waiting.partition, waiting.event.position)) continue;
      this.#start(waiting.event, waiting.partition);
      return;
    }
    this.#streams.delete(stream);
  }
}
