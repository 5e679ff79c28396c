import type { Grant } from './grant.js';

/** A token as the server remembers it between database look-ups. */
export interface CachedToken {
  /** Undefined for an unknown or revoked token. */
  grant: Grant | undefined;
  secretHash: string;
  at: number;
}

/**
 * The tokens a server has looked up recently, least recently used first out,
 * so random unknown ids sent by a caller cost a bounded amount of memory.
 */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): CachedToken | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    // a Map iterates in insertion order: moving a hit to the end keeps the oldest first
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }

  set(id: string, entry: CachedToken): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
