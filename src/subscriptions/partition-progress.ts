import type { PartitionCheckpoint } from '../store/consumer-store.js';

/**
 * How far a member has handled each partition it holds. One cursor walks the
 * log for all of them; a partition taken over with an older checkpoint pulls
 * the cursor back, and the partitions already past that point skip what they
 * have handled (their `base`). Events handed out but not yet handled (a
 * consumer with a window) hold each partition's checkpoint just below the
 * first of them, so a restart hands them over again.
 */
export class PartitionProgress {
  readonly owned = new Set<number>();
  readonly #base = new Map<number, number>();
  /** Per partition, the positions handed out and not yet handled, in position order. */
  readonly #unsettled = new Map<number, Set<number>>();
  /** Per held partition: aborted when the member lets it go or loses it. */
  readonly #held = new Map<number, AbortController>();
  #cursor = 0;

  /** The last position read for every held partition. */
  get cursor(): number {
    return this.#cursor;
  }

  /** True when the event at `position` of `partition` is this member's to handle. */
  handles(partition: number, position: number): boolean {
    return this.owned.has(partition) && position > (this.#base.get(partition) ?? 0);
  }

  /** Everything up to `position` has been handled, skipped or handed out. */
  advance(position: number): void {
    if (position > this.#cursor) this.#cursor = position;
  }

  /** The event at `position` was handed out: the checkpoint of `partition` stays below it until it is settled. */
  open(partition: number, position: number): void {
    let positions = this.#unsettled.get(partition);
    if (positions === undefined) this.#unsettled.set(partition, (positions = new Set()));
    positions.add(position);
  }

  /** The event at `position` was handled (or parked); false when it is no longer this member's to settle. */
  settle(partition: number, position: number): boolean {
    return this.#unsettled.get(partition)?.delete(position) ?? false;
  }

  /** True while the event at `position` is handed out and neither settled nor let go with its partition. */
  isOpen(partition: number, position: number): boolean {
    return this.#unsettled.get(partition)?.has(position) ?? false;
  }

  /**
   * Forgets the events handed out and pulls the cursor back to the lowest
   * checkpoint, so the loop reads them again: after a failure that left some
   * of them neither handled nor parked.
   */
  rewind(): void {
    if (this.owned.size === 0) return;
    let lowest = this.#cursor;
    for (const partition of this.owned) {
      const checkpoint = this.progressOf(partition);
      this.#base.set(partition, checkpoint);
      lowest = Math.min(lowest, checkpoint);
    }
    this.#unsettled.clear();
    this.#cursor = lowest;
  }

  /** Starts holding `partition`, whose stored checkpoint is `checkpoint`. */
  take(partition: number, checkpoint: number): void {
    if (this.owned.has(partition)) return;
    if (this.owned.size === 0) {
      this.#cursor = checkpoint;
    } else {
      for (const held of this.owned) this.#base.set(held, this.#readThrough(held));
      this.#cursor = Math.min(this.#cursor, checkpoint);
    }
    this.#base.set(partition, checkpoint);
    this.owned.add(partition);
    this.#held.set(partition, new AbortController());
  }

  drop(partition: number): void {
    this.owned.delete(partition);
    this.#base.delete(partition);
    this.#unsettled.delete(partition);
    this.#held.get(partition)?.abort();
    this.#held.delete(partition);
  }

  /** Aborts when this member lets `partition` go or loses it (already aborted when it does not hold it). */
  heldSignal(partition: number): AbortSignal {
    return this.#held.get(partition)?.signal ?? AbortSignal.abort();
  }

  /** The checkpoint of `partition`: read through, short of its first event handed out and not yet settled. */
  progressOf(partition: number): number {
    const read = this.#readThrough(partition);
    const first = this.#unsettled.get(partition)?.values().next();
    return first === undefined || first.done === true ? read : Math.min(read, first.value - 1);
  }

  /** The checkpoints to store for `partitions` (all held ones by default). */
  checkpoints(partitions: Iterable<number> = this.owned): PartitionCheckpoint[] {
    return [...partitions].map((partition) => ({ partition, position: this.progressOf(partition) }));
  }

  #readThrough(partition: number): number {
    return Math.max(this.#base.get(partition) ?? 0, this.#cursor);
  }
}
