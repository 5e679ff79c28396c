import { createHmac, type BinaryLike } from 'node:crypto';
import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import { subjectTag } from '../store/audit.js';
import type { PersonalFieldsDeclaration } from '../store/personal-data.js';
import { pathSegments } from './personal-fields.js';
import { sealValue } from './envelope.js';
import type { KeyCache } from './key-cache.js';
import { valueAt, withValueAt } from './data-paths.js';

/**
 * The events as the log keeps them: each declared personal field encrypted
 * with its subject's key, and the subject's tag added so that the history of
 * a subject is found by the tag index. An event with no personal field present
 * is only tagged; a malformed event is left for the store to refuse.
 * An event given an id is sealed with a nonce derived from the id, path, key
 * and value, so a retry writes the same bytes and stays an idempotent retry.
 */
export async function sealEvents(events: readonly EventData[], declaration: PersonalFieldsDeclaration, keys: KeyCache): Promise<EventData[]> {
  const subjectPath = pathSegments(declaration.subject);
  const fields = declaration.fields.map((path) => ({ path, segments: pathSegments(path) }));
  const sealed: EventData[] = [];
  for (const [index, event] of events.entries()) {
    if (typeof event !== 'object' || event === null) {
      sealed.push(event);
      continue;
    }
    const subject = subjectOf(valueAt(event.data, subjectPath));
    const present = fields.filter((field) => valueAt(event.data, field.segments) !== undefined);
    if (present.length > 0 && subject === undefined) {
      throw new TributaryError(
        'INVALID_EVENT',
        `event ${index} holds personal fields of ${declaration.category} (${present.map((f) => f.path).join(', ')}) but no subject at ${declaration.subject}: without it no key can be chosen, nothing was stored`,
        { index, field: declaration.subject, reason: 'personal fields without a subject' },
      );
    }
    if (subject === undefined) {
      sealed.push(event);
      continue;
    }
    let data = event.data;
    if (present.length > 0) {
      const key = await keys.keyFor(subject);
      for (const field of present) {
        const value = valueAt(data, field.segments);
        const nonce = event.id === undefined ? undefined : (seed: BinaryLike) => createHmac('sha256', key.secret).update(`${event.id}.${field.path}.`).update(seed).digest().subarray(0, 12);
        data = withValueAt(data, field.segments, sealValue(value, key.keyId, key.secret, field.path, nonce));
      }
    }
    const tag = subjectTag(subject);
    const given: unknown = event.tags;
    // malformed tags are the store's to refuse, as they were given
    const tags = given === undefined ? [tag] : Array.isArray(given) && !given.includes(tag) ? [...(given as string[]), tag] : event.tags;
    sealed.push({ ...event, data, tags });
  }
  return sealed;
}

/** A subject is a non-empty string or a number (as text); anything else names nobody. */
function subjectOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
