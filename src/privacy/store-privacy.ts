import { TributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import { categoryOf } from '../core/stream-name.js';
import { FORGETS_STREAM, MAX_REASON_LENGTH, SUBJECT_FORGOTTEN, subjectTag } from '../store/audit.js';
import type { EventStore } from '../store/event-store.js';
import type { DeclareAnswer, ForgetAnswer, ForgetOptions, PersonalData, PersonalFields, PersonalFieldsDeclaration } from '../store/personal-data.js';
import { declarationStream, PERSONAL_FIELDS_DECLARED, type DeclarationsCache } from './declarations.js';
import type { KeyCache } from './key-cache.js';
import { assertCategory, checkPersonalFields, pathSegments } from './personal-fields.js';
import { sealEvents } from './seal-events.js';
import { valueAt } from './data-paths.js';
import { replaceData, withholdPersonal } from './open-events.js';

// declare reports the paths none of the category's first events has: a bounded look, never a scan of the log
const SAMPLE = 1_000;
const MAX_SUBJECT_LENGTH = 1_024;

/** The personal data of a store opened with `openStore`: declarations in `$privacy-<category>` streams, keys in the store's keys table. */
export class StorePrivacy implements PersonalData {
  readonly #store: EventStore;
  readonly #declarations: DeclarationsCache;
  readonly #keys: KeyCache;

  /** `store`: the store below the privacy door, where declarations and audit events are written as they are. */
  constructor(store: EventStore, declarations: DeclarationsCache, keys: KeyCache) {
    this.#store = store;
    this.#declarations = declarations;
    this.#keys = keys;
  }

  async declare(category: string, fields: PersonalFields): Promise<DeclareAnswer> {
    const checked = checkPersonalFields(category, fields);
    const before = (await this.#declarations.latest()).current.get(category);
    if (before === undefined || before.subject !== checked.subject || before.fields.join('\n') !== checked.fields.join('\n')) {
      await this.#store.append(declarationStream(category), [{ type: PERSONAL_FIELDS_DECLARED, data: { category, ...checked } }]);
    }
    const declaration = (await this.#declarations.latest()).current.get(category)!;
    return { ...declaration, ...(await this.#unused(declaration)) };
  }

  async get(category: string): Promise<PersonalFieldsDeclaration | undefined> {
    assertCategory(category);
    return (await this.#declarations.current()).current.get(category);
  }

  async list(): Promise<PersonalFieldsDeclaration[]> {
    const declarations = [...(await this.#declarations.current()).current.values()];
    return declarations.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
  }

  async forget(subject: string, options: ForgetOptions = {}): Promise<ForgetAnswer> {
    checkForget(subject, options);
    const outcome = await this.#keys.forget(subject);
    const audit = { subject, outcome, reason: options.reason ?? null, at: new Date().toISOString(), by: options.by ?? null };
    const { position } = await this.#store.append(FORGETS_STREAM, [{ type: SUBJECT_FORGOTTEN, data: audit, tags: [subjectTag(subject)] }]);
    return { ...audit, position };
  }

  /**
   * The events (as read, decrypted) with their personal values as files outside
   * the store may hold them: sealed again with the subject's key, the nonce
   * derived from the event id so a rebuild writes the same bytes; a forgotten
   * value stays the forgotten marker.
   */
  async seal(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const declarations = await this.#declarations.current();
    if (declarations.current.size === 0) return [...events];
    const sealed: RecordedEvent[] = [];
    for (const event of events) {
      const declaration = declarations.current.get(categoryOf(event.stream));
      sealed.push(declaration === undefined ? event : await resealed(event, declaration, this.#keys));
    }
    return sealed;
  }

  async withhold(events: readonly RecordedEvent[], readable: (category: string) => boolean): Promise<RecordedEvent[]> {
    return withholdPersonal(events, await this.#declarations.current(), readable);
  }

  async #unused(declaration: PersonalFieldsDeclaration): Promise<{ unusedPaths: string[]; sampled: number }> {
    const page = await this.#store.readAll({ categories: [declaration.category], limit: SAMPLE, raw: true });
    const paths = [declaration.subject, ...declaration.fields];
    const used = new Set<string>();
    for (const event of page.events) {
      for (const path of paths) if (!used.has(path) && valueAt(event.data, pathSegments(path)) !== undefined) used.add(path);
      if (used.size === paths.length) break;
    }
    return { unusedPaths: paths.filter((path) => !used.has(path)), sampled: page.events.length };
  }
}

async function resealed(event: RecordedEvent, declaration: PersonalFieldsDeclaration, keys: KeyCache): Promise<RecordedEvent> {
  const plain = declaration.fields.filter((path) => {
    const value = valueAt(event.data, pathSegments(path));
    return value !== undefined && !isMarker(value);
  });
  if (plain.length === 0) return event;
  const only = { ...declaration, fields: plain };
  const [sealed] = await sealEvents([{ id: event.id, type: event.type, data: event.data }], only, keys);
  return replaceData(event, sealed!.data);
}

function isMarker(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).$personal === 'string';
}

function checkForget(subject: unknown, options: ForgetOptions): void {
  if (typeof subject !== 'string' || subject === '' || subject.length > MAX_SUBJECT_LENGTH) {
    throw new TributaryError('INVALID_ARGUMENT', `a subject to forget must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`, { subject: typeof subject === 'string' ? subject.slice(0, 64) : null });
  }
  for (const key of ['reason', 'by'] as const) {
    const value: unknown = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length > MAX_REASON_LENGTH)) {
      throw new TributaryError('INVALID_ARGUMENT', `the ${key} of a forget must be a string of at most ${MAX_REASON_LENGTH} characters`, { [key]: null });
    }
  }
}
