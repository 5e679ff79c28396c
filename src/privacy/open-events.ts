import { RecordedEvent } from '../core/event.js';
import { categoryOf } from '../core/stream-name.js';
import type { Declarations } from './declarations.js';
import { envelopeKeyId, envelopeText, FORGOTTEN, openValue, WITHHELD } from './envelope.js';
import type { KeyCache } from './key-cache.js';
import { pathSegments } from './personal-fields.js';
import { valueAt, withValueAt } from './data-paths.js';

/**
 * How personal values are read: `plain` decrypts them (readers who may read
 * personal data), `sealed` leaves the envelopes as stored (what files outside
 * the store, such as the lake, may hold). Both read a value whose key is
 * forgotten as `{"$personal":"forgotten"}`.
 */
export type PersonalView = 'plain' | 'sealed';

interface Found {
  path: string;
  segments: string[];
  text: string;
  keyId: number | undefined;
}

/**
 * The events with their personal values opened as `view` says. Events of
 * categories that never declared personal fields, and events holding no
 * envelope, are passed through untouched, without parsing their data.
 */
export async function openEvents(events: RecordedEvent[], declarations: Declarations, keys: KeyCache, view: PersonalView): Promise<RecordedEvent[]> {
  if (declarations.sealedPaths.size === 0 || events.length === 0) return events;
  const touched = new Map<number, { data: unknown; found: Found[] }>();
  const keyIds = new Set<number>();
  for (const [index, event] of events.entries()) {
    const paths = declarations.sealedPaths.get(categoryOf(event.stream));
    if (paths === undefined || !event.dataJson.includes('"$encrypted"')) continue;
    const data = event.data;
    const found: Found[] = [];
    for (const path of paths) {
      const segments = pathSegments(path);
      const text = envelopeText(valueAt(data, segments));
      if (text === undefined) continue;
      const keyId = envelopeKeyId(text);
      if (keyId !== undefined) keyIds.add(keyId);
      found.push({ path, segments, text, keyId });
    }
    if (found.length > 0) touched.set(index, { data, found });
  }
  if (touched.size === 0) return events;
  const secrets = await keys.secrets(keyIds);
  return events.map((event, index) => {
    const opened = touched.get(index);
    if (opened === undefined) return event;
    let data = opened.data;
    for (const { path, segments, text, keyId } of opened.found) {
      const secret = keyId === undefined ? null : (secrets.get(keyId) ?? null);
      if (secret === null) data = withValueAt(data, segments, FORGOTTEN);
      else if (view === 'plain') data = withValueAt(data, segments, openValue(text, secret, path));
    }
    return replaceData(event, data);
  });
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
