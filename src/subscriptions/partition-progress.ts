import type { PartitionCheckpoint } from '../store/consumer-store.js';

/**
 * How far a member has handled each partition it holds. One cursor walks the
 * log for all of them; a partition taken over with an older checkpoint pulls
 * the cursor back, and the partitions already past that point skip what they
 * have handled (their `base`).
 */
export class PartitionProgress {
  readonly owned = new Set<number>();
  readonly #base = new Map<number, number>();
  #cursor = 0;

  /** The last position read for every held partition. */
  get cursor(): number {
    return this.#cursor;
  }

  /** True when the event at `position` of `partition` is this member's to handle. */
  handles(partition: number, position: number): boolean {
    return this.owned.has(partition) && position > (this.#base.get(partition) ?? 0);
  }

  /** Everything up to `position` has been handled or skipped. */
  advance(position: number): void {
    if (position > this.#cursor) this.#cursor = position;
  }

  /** Starts holding `partition`, whose stored checkpoint is `checkpoint`. */
  take(partition: number, checkpoint: number): void {
    if (this.owned.has(partition)) return;
    if (this.owned.size === 0) {
      this.#cursor = checkpoint;
    } else {
      for (const held of this.owned) this.#base.set(held, this.progressOf(held));
      this.#cursor = Math.min(this.#cursor, checkpoint);
    }
    this.#base.set(partition, checkpoint);
    this.owned.add(partition);
  }

  drop(partition: number): void {
    this.owned.delete(partition);
    this.#base.delete(partition);
  }

  progressOf(partition: number): number {
    return Math.max(this.#base.get(partition) ?? 0, this.#cursor);
  }

  /** The checkpoints to store for `partitions` (all held ones by default). */
  checkpoints(partitions: Iterable<number> = this.owned): PartitionCheckpoint[] {
    return [...partitions].map((partition) => ({ partition, position: this.progressOf(partition) }));
  }
}
