import { TributaryError, invalidArgument } from '../../core/errors.js';

/** Lake queries one process runs at once unless told otherwise. */
export const DEFAULT_LAKE_QUERIES = 2;

/**
 * How many lake queries run at once: with each query's DuckDB memory limit this bounds what they can take
 * together, and each running query holds one libuv thread, of which Node has four by default.
 *
 * ```ts
 * const slots = new LakeQuerySlots(4);
 * await queryLakes(store, sql, { slots });
 * ```
 */
export class LakeQuerySlots {
  readonly size: number;
  #running = 0;

  constructor(size: number) {
    if (!(Number.isSafeInteger(size) && size >= 1)) throw invalidArgument('lake queries', `must be a whole number >= 1, got ${String(size)}`);
    this.size = size;
  }

  get running(): number {
    return this.#running;
  }

  /** Takes a slot, or throws LAKE_BUSY when all are taken; the returned function gives it back (once). */
  take(): () => void {
    if (this.#running >= this.size) {
      throw new TributaryError('LAKE_BUSY', `${this.#running} lake queries are running, as many as this process allows; try again shortly`, {
        running: this.#running,
      });
    }
    this.#running++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#running--;
    };
  }
}

/** The slots lake queries share in this process when the caller brings none. */
export const PROCESS_LAKE_SLOTS = new LakeQuerySlots(DEFAULT_LAKE_QUERIES);
