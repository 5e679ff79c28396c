import { RecordedEvent } from '../core/event.js';
import { categoryOf } from '../core/stream-name.js';
import type { Declarations } from './declarations.js';
import { envelopeKeyId, envelopeText, FORGOTTEN, isStub, openValues, UNREADABLE, WITHHELD } from './envelope.js';
import type { KeyCache } from './key-cache.js';
import { pathSegments } from './personal-fields.js';
import { setOwn, valueAt, withValueAt } from './data-paths.js';

/**
 * How personal values are read: `plain` decrypts them (readers who may read
 * personal data), `sealed` leaves the envelopes as stored (what files outside
 * the store, such as the lake, may hold). Both read a value whose key is
 * forgotten as `{"$personal":"forgotten"}`.
 */
export type PersonalView = 'plain' | 'sealed';

/** Where a declared path's value sits in an event's parsed data: its object and key, so it is replaced in place. */
interface Slot {
  path: string;
  object: Record<string, unknown>;
  key: string;
  text: string;
  /** The key id of an envelope; undefined for a stub or a text that is neither. */
  keyId: number | undefined;
}

// the segments of a declared path, split once per process rather than once per event
const splitPaths = new Map<string, { parent: string[]; key: string }>();

function splitPath(path: string): { parent: string[]; key: string } {
  let split = splitPaths.get(path);
  if (split === undefined) {
    const segments = pathSegments(path);
    split = { parent: segments.slice(0, -1), key: segments[segments.length - 1]! };
    splitPaths.set(path, split);
  }
  return split;
}

/** The event's sealed slots, in its freshly parsed (so freely changed) data. */
function slotsOf(data: unknown, paths: readonly string[]): Slot[] {
  const slots: Slot[] = [];
  for (const path of paths) {
    const { parent, key } = splitPath(path);
    const object = valueAt(data, parent);
    if (typeof object !== 'object' || object === null || Array.isArray(object) || !Object.hasOwn(object, key)) continue;
    const text = envelopeText((object as Record<string, unknown>)[key]);
    if (text !== undefined) slots.push({ path, object: object as Record<string, unknown>, key, text, keyId: envelopeKeyId(text) });
  }
  return slots;
}

/**
 * The events with their personal values opened as `view` says: one
 * decryption per event, in data parsed once. Events of categories that never
 * declared personal fields, and events holding no envelope, are passed through
 * untouched, without parsing their data.
 */
export async function openEvents(events: RecordedEvent[], declarations: Declarations, keys: KeyCache, view: PersonalView): Promise<RecordedEvent[]> {
  if (declarations.sealedPaths.size === 0 || events.length === 0) return events;
  // per event, its parsed data and slots when it holds any; undefined for the events passed through
  let touched: ({ data: unknown; slots: Slot[] } | undefined)[] | undefined;
  const keyIds = new Set<number>();
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    const paths = declarations.sealedPaths.get(categoryOf(event.stream));
    if (paths === undefined) continue;
    const json = event.dataJson;
    if (!json.includes('"$encrypted"')) continue;
    const data: unknown = JSON.parse(json);
    const slots = slotsOf(data, paths);
    if (slots.length === 0) continue;
    for (const slot of slots) if (slot.keyId !== undefined) keyIds.add(slot.keyId);
    (touched ??= new Array<{ data: unknown; slots: Slot[] } | undefined>(events.length))[index] = { data, slots };
  }
  if (touched === undefined) return events;
  const secrets = await keys.secrets(keyIds);
  const opened = events.slice();
  for (let index = 0; index < events.length; index++) {
    const found = touched[index];
    if (found === undefined) continue;
    openSlots(found.slots, secrets, view);
    opened[index] = replaceData(events[index]!, found.data);
  }
  return opened;
}

/** Writes each slot's value in place: plaintext, the forgotten or unreadable marker, or (sealed view) the stored text. */
function openSlots(slots: readonly Slot[], secrets: ReadonlyMap<number, Buffer | null>, view: PersonalView): void {
  // one envelope per event as written, but a crafted event may hold more: their values are merged
  let values: Record<string, unknown> | undefined;
  let forgotten: string[] | undefined;
  for (const slot of slots) {
    if (slot.keyId === undefined && isStub(slot.text)) continue;
    const secret = slot.keyId === undefined ? null : (secrets.get(slot.keyId) ?? null);
    if (secret === null) (forgotten ??= []).push(slot.path);
    else if (view === 'plain') {
      const opened = openValues(slot.text, secret, slot.path);
      if (opened !== undefined) values = values === undefined ? opened : { ...values, ...opened };
    }
  }
  for (const slot of slots) {
    const stub = slot.keyId === undefined && isStub(slot.text);
    if (forgotten?.includes(stub ? slot.text.slice(1) : slot.path) === true) setOwn(slot.object, slot.key, FORGOTTEN);
    else if (view === 'plain') setOwn(slot.object, slot.key, values !== undefined && Object.hasOwn(values, slot.path) ? values[slot.path] : UNREADABLE);
  }
}

/**
 * The events with every personal value of a declared category the reader may
 * not read replaced by `{"$personal":"withheld"}` (a forgotten one stays
 * forgotten): what a reader without the `personal:<category>` scope gets.
 */
export function withholdPersonal(events: readonly RecordedEvent[], declarations: Declarations, readable: (category: string) => boolean): RecordedEvent[] {
  if (declarations.sealedPaths.size === 0) return [...events];
  return events.map((event) => {
    const category = categoryOf(event.stream);
    const paths = declarations.sealedPaths.get(category);
    if (paths === undefined || readable(category)) return event;
    let data: unknown = event.data;
    let changed = false;
    for (const path of paths) {
      const segments = pathSegments(path);
      const value = valueAt(data, segments);
      if (value === undefined || isForgotten(value)) continue;
      data = withValueAt(data, segments, WITHHELD);
      changed = true;
    }
    return changed ? replaceData(event, data) : event;
  });
}

function isForgotten(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).$personal === FORGOTTEN.$personal;
}

/** The event with other data, everything else as it was. */
export function replaceData(event: RecordedEvent, data: unknown): RecordedEvent {
  return new OpenedEvent(event, data);
}

/** An event whose data was worked out already: a reader gets it without parsing, and its JSON text is written on first access only. */
class OpenedEvent extends RecordedEvent {
  readonly #opened: unknown;
  #dataJson: string | undefined;

  constructor(stored: RecordedEvent, data: unknown) {
    super(stored.id, stored.stream, stored.type, stored.revision, stored.position, stored.dataJson, stored.metadataJson, stored.recordedAtMillis, stored.tagsJson);
    this.#opened = data;
  }

  override get data(): unknown {
    return this.#opened;
  }

  override get dataJson(): string {
    this.#dataJson ??= JSON.stringify(this.#opened) ?? 'null';
    return this.#dataJson;
  }
}
