import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import { subjectTag } from '../store/audit.js';
import type { PersonalFieldsDeclaration } from '../store/personal-data.js';
import { pathSegments } from './personal-fields.js';
import { sealValues, stubText } from './envelope.js';
import type { KeyCache } from './key-cache.js';
import { valueAt, withValuesAt } from './data-paths.js';

interface Field {
  path: string;
  segments: string[];
}

/**
 * The events as the log keeps them: each declared personal field encrypted
 * with its subject's key, and the subject's tag added so that the history of
 * a subject is found by the tag index. An event's present personal values are
 * sealed together in one envelope (see {@link sealValues}). An event with no
 * personal field present is only tagged; a malformed event is left for the
 * store to refuse. An event given an id is sealed with a nonce derived from the
 * id, key and values, so a retry writes the same bytes and stays an idempotent retry.
 */
export async function sealEvents(events: readonly EventData[], declaration: PersonalFieldsDeclaration, keys: KeyCache): Promise<EventData[]> {
  const subjectPath = pathSegments(declaration.subject);
  const fields: Field[] = declaration.fields.map((path) => ({ path, segments: pathSegments(path) }));
  const subjects = events.map((event) => (typeof event === 'object' && event !== null ? subjectOf(valueAt(event.data, subjectPath)) : undefined));
  const present = events.map((event, index) => {
    if (typeof event !== 'object' || event === null) return [];
    const found = fields.filter((field) => valueAt(event.data, field.segments) !== undefined);
    if (found.length > 0 && subjects[index] === undefined) {
      throw new TributaryError(
        'INVALID_EVENT',
        `event ${index} holds personal fields of ${declaration.category} (${found.map((f) => f.path).join(', ')}) but no subject at ${declaration.subject}: without it no key can be chosen, nothing was stored`,
        { index, field: declaration.subject, reason: 'personal fields without a subject' },
      );
    }
    return found;
  });
  // one read of the keys for the whole call, not one per event
  const keysOf = await keys.keysFor(new Set(subjects.filter((subject, index) => subject !== undefined && present[index]!.length > 0) as string[]));
  return events.map((event, index) => {
    const subject = subjects[index];
    if (subject === undefined) return event;
    const key = keysOf.get(subject);
    const fieldsHere = key === undefined ? [] : present[index]!;
    let data = event.data;
    if (fieldsHere.length > 0) {
      const values: Record<string, unknown> = {};
      for (const field of fieldsHere) values[field.path] = valueAt(data, field.segments);
      const [first, ...others] = fieldsHere as [Field, ...Field[]];
      const seed = typeof event.id === 'string' ? event.id : undefined;
      const envelope = { $encrypted: sealValues(values, key!.keyId, key!.secret, first.path, seed) };
      const stub = { $encrypted: stubText(first.path) };
      data = withValuesAt(data, [[first.segments, envelope], ...others.map((field) => [field.segments, stub] as const)]);
    }
    const tag = subjectTag(subject);
    const given: unknown = event.tags;
    // malformed tags are the store's to refuse, as they were given
    const tags = given === undefined ? [tag] : Array.isArray(given) && !given.includes(tag) ? [...(given as string[]), tag] : event.tags;
    return { ...event, data, tags };
  });
}

/** A subject is a non-empty string or a number (as text); anything else names nobody. */
function subjectOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
