/** The listeners of `ConsumerStore.watchGroup`, by consumer: a backend raises a group's when it hears that the group changed. */
export class GroupWatchers {
  readonly #listeners = new Map<string, Set<() => void>>();

  watch(consumer: string, listener: () => void): () => void {
    const listeners = this.#listeners.get(consumer) ?? new Set();
    this.#listeners.set(consumer, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(consumer) === listeners) this.#listeners.delete(consumer);
    };
  }

  raise(consumer: string): void {
    for (const listener of this.#listeners.get(consumer) ?? []) listener();
  }

  /** Raises every group's listeners: changes may have been missed (a dropped connection). */
  raiseAll(): void {
    for (const consumer of [...this.#listeners.keys()]) this.raise(consumer);
  }
}
