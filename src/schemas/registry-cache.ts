import type { EventStore } from '../store/event-store.js';
import { SCHEMA_CATEGORY } from '../store/schema-registry.js';
import { RegistryState } from './registry-state.js';
import type { SchemaCompiler } from './schema-compiler.js';

/** How long a process trusts what it folded before it reads the registry's new events: another process's change reaches it within this. */
export const REGISTRY_FRESH_MS = 250;
const PAGE = 1_000;

/**
 * A handle's view of the registry: the state folded from the `$schemas`
 * events, read again when it is older than {@link REGISTRY_FRESH_MS}. Reads
 * run one after another, so no event is applied twice.
 */
export class RegistryCache {
  readonly #store: EventStore;
  readonly #compiler: SchemaCompiler;
  readonly #state = new RegistryState();
  #checkedAt = Number.NEGATIVE_INFINITY;
  #tail: Promise<RegistryState> | undefined;

  constructor(store: EventStore, compiler: SchemaCompiler) {
    this.#store = store;
    this.#compiler = compiler;
  }

  /** The state, at once when it is fresh; else after a read of what was appended since (one read shared by every caller that asks meanwhile). */
  current(): RegistryState | Promise<RegistryState> {
    if (Date.now() - this.#checkedAt < REGISTRY_FRESH_MS) return this.#state;
    return this.#tail ?? this.#enqueue();
  }

  /** The state with every registry event appended before the call: after the registry's own writes, and before a decision. */
  latest(): Promise<RegistryState> {
    return this.#enqueue();
  }

  #enqueue(): Promise<RegistryState> {
    const previous = this.#tail;
    const next = previous === undefined ? this.#read() : previous.then(() => this.#read(), () => this.#read());
    this.#tail = next;
    const settle = () => {
      if (this.#tail === next) this.#tail = undefined;
    };
    next.then(settle, settle);
    return next;
  }

  async #read(): Promise<RegistryState> {
    const started = Date.now();
    const state = this.#state;
    for (;;) {
      const page = await this.#store.readAll({ categories: [SCHEMA_CATEGORY], after: state.position, limit: PAGE, raw: true });
      for (const event of page.events) if (event.position > state.position) state.apply(event);
      if (page.next === null) break;
      // a filtered page may be empty with more to come: move past what it scanned
      state.position = Math.max(state.position, page.next);
    }
    if (state.types.size > 0) {
      await this.#compiler.load();
      this.#compiler.sync(state);
    }
    this.#checkedAt = started;
    return state;
  }
}
