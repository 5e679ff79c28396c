import { TributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import { FORGETS_STREAM, SUBJECT_FORGOTTEN } from '../store/audit.js';
import type { EventStore } from '../store/event-store.js';

const PAGE = 1_000;

/** Where a key cache learns which subjects were forgotten elsewhere since it last asked. */
export interface Forgets {
  forgotten(): Promise<string[]>;
}

/**
 * The subjects forgotten since the last look, read from `$audit-forgets`: how
 * a handle learns of another process's forgets with one indexed read, instead
 * of reading every cached key's row again.
 *
 * ```ts
 * const feed = new ForgetsFeed(store);
 * await feed.forgotten(); // [] on the first look: it starts at the stream's end
 * await feed.forgotten(); // ['c-42'] after a forget of c-42 anywhere on the database
 * ```
 */
export class ForgetsFeed implements Forgets {
  readonly #store: EventStore;
  #from: number | undefined;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The subjects of the forgets appended since the last call; none on the first, which only marks where to start. */
  async forgotten(): Promise<string[]> {
    if (this.#from === undefined) {
      const [last] = await this.#read({ direction: 'backward', limit: 1 });
      this.#from = last === undefined ? 0 : last.revision + 1;
      return [];
    }
    const subjects: string[] = [];
    for (;;) {
      const events = await this.#read({ from: this.#from, limit: PAGE });
      for (const event of events) {
        this.#from = event.revision + 1;
        if (event.type === SUBJECT_FORGOTTEN) subjects.push((event.data as { subject: string }).subject);
      }
      if (events.length < PAGE) return subjects;
    }
  }

  async #read(options: { from?: number; limit: number; direction?: 'backward' }): Promise<RecordedEvent[]> {
    try {
      return (await this.#store.readStream(FORGETS_STREAM, { ...options, raw: true })).events;
    } catch (error) {
      // no forget yet on this database
      if (error instanceof TributaryError && error.code === 'STREAM_NOT_FOUND') return [];
      throw error;
    }
  }
}
