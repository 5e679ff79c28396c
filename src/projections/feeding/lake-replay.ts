import type { ReplayMode } from '../../subscriptions/handling.js';

/** Which generation readers see, and how far it has handled the log. */
export interface LiveGeneration {
  live: number;
  position: number;
}

// a generation ahead of the live one looks at the registry again at most this often
const LOOK_MS = 1_000;

/**
 * Tells a lake generation's handler whether an event is a rebuild: a
 * generation other than the live one meeting an event the live one has
 * handled. The live position only grows, so a position at or below the one
 * last read needs no new look; beyond it, the registry is read again at most
 * once a second.
 */
export class LakeReplay {
  readonly #generation: number;
  readonly #read: () => Promise<LiveGeneration | undefined>;
  #record: LiveGeneration | undefined;
  #readAt = -Infinity;

  constructor(generation: number, read: () => Promise<LiveGeneration | undefined>) {
    this.#generation = generation;
    this.#read = read;
  }

  /** How the generation meets the event at `position`, which its consumer delivered as `delivered`. */
  async of(position: number, delivered: ReplayMode): Promise<ReplayMode> {
    if (this.#record?.live === this.#generation) return delivered;
    const stale = this.#record === undefined || position > this.#record.position;
    if (stale && Date.now() - this.#readAt >= LOOK_MS) {
      this.#record = await this.#read();
      this.#readAt = Date.now();
    }
    const record = this.#record;
    return record !== undefined && record.live !== this.#generation && position <= record.position ? 'rebuild' : delivered;
  }
}
