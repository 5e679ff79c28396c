import type { SubjectKey, SubjectKeys } from '../store/subject-keys.js';
import type { Forgets } from './forgets-feed.js';

/**
 * How long a process goes without learning of another's forgets: a forget
 * there stops this one decrypting (and encrypting with the forgotten key)
 * within this. Without a forgets feed, each key's row is read again this often;
 * with one, the feed is looked at this often. A forget in this process takes
 * effect at once.
 */
export const KEY_FRESH_MS = 1_000;
/** With a forgets feed, how long a key is trusted before its row is read again all the same: a forget whose process died before its audit event was written still takes effect. */
export const KEY_REREAD_MS = 60_000;
// beyond this many cached keys the cache starts again: memory stays bounded whatever the number of subjects
const MAX_CACHED = 100_000;

interface Cached<T> {
  value: T;
  at: number;
}

/**
 * The subject keys one store handle uses; a forgotten key is forgotten for
 * good. With a {@link ForgetsFeed} the keys of subjects forgotten elsewhere are
 * dropped as the feed tells, so keys are not read again every second.
 */
export class KeyCache {
  readonly #keys: SubjectKeys;
  readonly #feed: Forgets | undefined;
  readonly #live = new Map<string, Cached<SubjectKey>>();
  readonly #secrets = new Map<number, Cached<Buffer | null>>();
  #lookedAt = Number.NEGATIVE_INFINITY;
  #looking: Promise<void> | undefined;

  constructor(keys: SubjectKeys, feed?: Forgets) {
    this.#keys = keys;
    this.#feed = feed;
  }

  /** How long a cached key is trusted, after taking in the forgets made elsewhere when it is time to look. */
  async #trusted(): Promise<number> {
    if (this.#feed === undefined) return KEY_FRESH_MS;
    if (Date.now() - this.#lookedAt >= KEY_FRESH_MS) await (this.#looking ??= this.#look(this.#feed));
    return KEY_REREAD_MS;
  }

  async #look(feed: Forgets): Promise<void> {
    const started = Date.now();
    try {
      const subjects = await feed.forgotten();
      for (const subject of subjects) this.#live.delete(subject);
      // which cached secrets were theirs is not known here: forgets are rare, dropping them all is cheap and certain
      if (subjects.length > 0) this.#secrets.clear();
      this.#lookedAt = started;
    } finally {
      this.#looking = undefined;
    }
  }

  /** The subject's live key, made on first use. */
  async keyFor(subject: string): Promise<SubjectKey> {
    return (await this.keysFor([subject])).get(subject)!;
  }

  /** The live keys of these subjects: the fresh ones from the cache, the others in one read. */
  async keysFor(subjects: Iterable<string>): Promise<Map<string, SubjectKey>> {
    const trusted = await this.#trusted();
    const now = Date.now();
    const found = new Map<string, SubjectKey>();
    const stale: string[] = [];
    for (const subject of subjects) {
      const cached = this.#live.get(subject);
      if (cached !== undefined && now - cached.at < trusted) found.set(subject, cached.value);
      else stale.push(subject);
    }
    if (stale.length === 0) return found;
    const read = await this.#keys.keysFor(stale);
    if (this.#live.size + stale.length > MAX_CACHED) this.#live.clear();
    for (const [subject, key] of read) {
      this.#live.set(subject, { value: key, at: now });
      found.set(subject, key);
    }
    return found;
  }

  /** The secrets of these key ids: null for a forgotten key, or one the table does not hold (a store restored without its keys). */
  async secrets(keyIds: Iterable<number>): Promise<Map<number, Buffer | null>> {
    const trusted = await this.#trusted();
    const now = Date.now();
    const found = new Map<number, Buffer | null>();
    const stale: number[] = [];
    for (const keyId of keyIds) {
      const cached = this.#secrets.get(keyId);
      if (cached !== undefined && (cached.value === null || now - cached.at < trusted)) found.set(keyId, cached.value);
      else stale.push(keyId);
    }
    if (stale.length === 0) return found;
    const read = await this.#keys.secrets(stale);
    if (this.#secrets.size + stale.length > MAX_CACHED) this.#secrets.clear();
    for (const keyId of stale) {
      const secret = read.get(keyId) ?? null;
      this.#secrets.set(keyId, { value: secret, at: now });
      found.set(keyId, secret);
    }
    return found;
  }

  /** Forgets the subject's key here and in the table. */
  async forget(subject: string): Promise<'FORGOTTEN' | 'NO_KEY'> {
    const outcome = await this.#keys.forget(subject);
    // which cached secrets were the subject's is not known here: dropping them all is cheap and certain
    this.#live.delete(subject);
    this.#secrets.clear();
    return outcome;
  }
}
