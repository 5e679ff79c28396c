import type { ConsumerStore, PartitionCheckpoint } from '../store/consumer-store.js';
import type { PartitionProgress } from './partition-progress.js';

export interface CheckpointOptions {
  name: string;
  /** The member whose partitions the saves are fenced to; undefined for a lone consumer. */
  owner: string | undefined;
  checkpointEvents: number;
  checkpointMs: number;
  durableThrough: (() => number) | undefined;
  onError: (error: unknown) => void;
}

/**
 * When and what a consumer saves of its progress: every `checkpointEvents`
 * handled events or `checkpointMs`, one save at a time in the background while
 * handling goes on, never past what `durableThrough` says is durable. A
 * partition the store says this member no longer holds is dropped.
 */
export class Checkpoints {
  readonly #store: Pick<ConsumerStore, 'saveCheckpoints'>;
  readonly #progress: PartitionProgress;
  readonly #options: CheckpointOptions;
  readonly #now: () => number;
  #saving: Promise<void> | undefined;
  #handledSinceSave = 0;
  #savedAt: number;

  /** `now` is a monotonic clock in milliseconds. */
  constructor(store: Pick<ConsumerStore, 'saveCheckpoints'>, progress: PartitionProgress, options: CheckpointOptions, now: () => number = () => performance.now()) {
    this.#store = store;
    this.#progress = progress;
    this.#options = options;
    this.#now = now;
    this.#savedAt = now();
  }

  /** Counts an event handled since the last save. */
  handled(): void {
    this.#handledSinceSave++;
  }

  /** The checkpoints were moved by the handler's own transaction. */
  committed(): void {
    this.#handledSinceSave = 0;
    this.#savedAt = this.#now();
  }

  get due(): boolean {
    return this.#handledSinceSave >= this.#options.checkpointEvents || this.#savedAt + this.#options.checkpointMs <= this.#now();
  }

  /** How long the loop may wait for events: long enough to save what was handled within `checkpointMs`. */
  waitMs(): number {
    const { checkpointMs } = this.#options;
    if (this.#handledSinceSave === 0) return checkpointMs;
    return Math.max(1, Math.ceil(this.#savedAt + checkpointMs - this.#now()));
  }

  /** Starts a save when one is due, unless one is in flight. */
  startWhenDue(): void {
    if (this.due) this.#saveInBackground();
  }

  /** Starts a save when one is due, after the one in flight: never more than one save behind. */
  async keepUp(): Promise<void> {
    if (!this.due) return;
    await this.#saving;
    this.#saveInBackground();
  }

  /** Saves every held partition now, after any save in flight. */
  async flush(): Promise<void> {
    await this.#saving;
    await this.#write(this.#snapshot());
  }

  /** Saves the checkpoints of partitions about to be let go, after any save in flight. */
  async saveBeforeRelease(partitions: readonly number[]): Promise<void> {
    await this.#saving;
    await this.#write(this.#capped(this.#progress.checkpoints(partitions)));
  }

  #saveInBackground(): void {
    if (this.#saving !== undefined) return;
    this.#saving = this.#write(this.#snapshot())
      .catch((error: unknown) => {
        // try again soon: the checkpoint must not fall further behind than configured
        this.#handledSinceSave = this.#options.checkpointEvents;
        this.#options.onError(error);
      })
      .finally(() => (this.#saving = undefined));
  }

  #snapshot(): PartitionCheckpoint[] {
    this.committed();
    return this.#capped(this.#progress.checkpoints());
  }

  /** Checkpoints no further than the handler's effects are durable. */
  #capped(checkpoints: PartitionCheckpoint[]): PartitionCheckpoint[] {
    const durable = this.#options.durableThrough;
    if (durable === undefined) return checkpoints;
    const ceiling = durable();
    return checkpoints.map(({ partition, position }) => ({ partition, position: Math.min(position, ceiling) }));
  }

  async #write(checkpoints: PartitionCheckpoint[]): Promise<void> {
    if (checkpoints.length === 0) return;
    const lost = await this.#store.saveCheckpoints(this.#options.name, checkpoints, this.#options.owner);
    for (const partition of lost) this.#progress.drop(partition);
  }
}
