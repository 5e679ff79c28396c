import type { RecordedEvent } from '../core/event.js';

/**
 * Which values of a category's events are personal data: `subject` is the
 * path of the person they are about (read in plaintext, it picks the key),
 * `fields` the paths whose values are encrypted with that person's key.
 * Paths are dot-separated and start at `data`.
 *
 * ```ts
 * const customer: PersonalFields = { subject: 'data.customerId', fields: ['data.email', 'data.address'] };
 * ```
 */
export interface PersonalFields {
  subject: string;
  fields: string[];
}

/** A category's declaration as the store holds it. */
export interface PersonalFieldsDeclaration extends PersonalFields {
  category: string;
  /** When it was declared (ISO 8601, UTC). */
  declaredAt: string;
}

/** What `declare` answers: the declaration, and which of its paths no sampled event of the category has (accepted all the same). */
export interface DeclareAnswer extends PersonalFieldsDeclaration {
  unusedPaths: string[];
  /** How many of the category's events were looked at for `unusedPaths` (its first ones, at most 1,000). */
  sampled: number;
}

export interface ForgetOptions {
  /** Why, for the audit trail. */
  reason?: string;
  /** Who asked (a token name, a person), for the audit trail. */
  by?: string;
}

/** What `forget` answers; the same data goes to the `SubjectForgotten` audit event. */
export interface ForgetAnswer {
  subject: string;
  /** 'NO_KEY': the subject had no live key (never had personal data, or forgotten already). */
  outcome: 'FORGOTTEN' | 'NO_KEY';
  reason: string | null;
  at: string;
  by: string | null;
  /** The position of the audit event. */
  position: number;
}

/**
 * Personal data of a store: declarations per category, and forgetting a
 * subject (crypto-shredding). Present on stores opened with `openStore`.
 *
 * ```ts
 * await store.privacy!.declare('customer', { subject: 'data.customerId', fields: ['data.email'] });
 * await store.privacy!.forget('c-42', { reason: 'erasure request 2026-118' });
 * ```
 */
export interface PersonalData {
  /** Declares (or replaces) the category's personal fields. Errors: INVALID_PERSONAL_FIELDS. */
  declare(category: string, fields: PersonalFields): Promise<DeclareAnswer>;
  /** The category's declaration, or undefined when it has none. Errors: INVALID_PERSONAL_FIELDS for a malformed category. */
  get(category: string): Promise<PersonalFieldsDeclaration | undefined>;
  /** Every declaration, in category order. */
  list(): Promise<PersonalFieldsDeclaration[]>;
  /** Deletes the subject's key and appends a `SubjectForgotten` audit event, whether it had a key or not. Errors: INVALID_ARGUMENT. */
  forget(subject: string, options?: ForgetOptions): Promise<ForgetAnswer>;
  /**
   * The events, as this store reads them, with their personal values as files
   * outside the store may hold them: encrypted, or the forgotten marker. What
   * the lake's projections see.
   */
  seal(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
  /**
   * The events with the personal values of each declared category for which
   * `readable(category)` is false replaced by `{"$personal":"withheld"}` (a
   * forgotten value stays forgotten): what a reader without the scope sees.
   * Events of undeclared categories come back as they were, unparsed.
   */
  withhold(events: readonly RecordedEvent[], readable: (category: string) => boolean): Promise<RecordedEvent[]>;
}
