import type { RecordedEvent } from '../core/event.js';
import type { EventStore } from '../store/event-store.js';
import type { PersonalFields, PersonalFieldsDeclaration } from '../store/personal-data.js';

/** The store's own category holding every declaration, one stream per declared category (`$privacy-customer`). */
export const PRIVACY_CATEGORY = '$privacy';
export const PERSONAL_FIELDS_DECLARED = 'PersonalFieldsDeclared';

/** How long a process trusts the declarations it folded before it reads the new ones: another process's declaration reaches its appends within this. */
export const DECLARATIONS_FRESH_MS = 250;
const PAGE = 1_000;

export function declarationStream(category: string): string {
  return `${PRIVACY_CATEGORY}-${category}`;
}

/** The declarations folded from the `$privacy` events up to `position`. */
export class Declarations {
  position = 0;
  readonly current = new Map<string, PersonalFieldsDeclaration>();
  /** Every path a category ever declared personal: envelopes written under an older declaration still open. */
  readonly sealedPaths = new Map<string, string[]>();

  apply(event: RecordedEvent): void {
    this.position = event.position;
    if (event.type !== PERSONAL_FIELDS_DECLARED) return;
    const { category, subject, fields } = event.data as PersonalFields & { category: string };
    this.current.set(category, { category, subject, fields, declaredAt: event.recordedAt });
    const paths = new Set([...(this.sealedPaths.get(category) ?? []), ...fields]);
    this.sealedPaths.set(category, [...paths]);
  }
}

/**
 * A handle's view of the declarations, read again when older than
 * {@link DECLARATIONS_FRESH_MS}. Reads run one after another, so no event is
 * applied twice; every caller asking meanwhile shares the read in flight.
 */
export class DeclarationsCache {
  readonly #store: EventStore;
  readonly #state = new Declarations();
  #checkedAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<Declarations> | undefined;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The declarations, at once when fresh. */
  current(): Declarations | Promise<Declarations> {
    if (Date.now() - this.#checkedAt < DECLARATIONS_FRESH_MS) return this.#state;
    return this.#reading ?? this.latest();
  }

  /** The declarations with every one appended before the call: after a declaration of this handle's own. */
  latest(): Promise<Declarations> {
    const reading = (this.#reading ?? Promise.resolve(this.#state)).then(
      () => this.#read(),
      () => this.#read(),
    );
    this.#reading = reading;
    const settle = () => {
      if (this.#reading === reading) this.#reading = undefined;
    };
    reading.then(settle, settle);
    return reading;
  }

  async #read(): Promise<Declarations> {
    const started = Date.now();
    const state = this.#state;
    for (;;) {
      const page = await this.#store.readAll({ categories: [PRIVACY_CATEGORY], after: state.position, limit: PAGE, raw: true });
      for (const event of page.events) if (event.position > state.position) state.apply(event);
      if (page.next === null) break;
      // a filtered page may be empty with more to come: move past what it scanned
      state.position = Math.max(state.position, page.next);
    }
    this.#checkedAt = started;
    return state;
  }
}
