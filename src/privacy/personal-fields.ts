import { TributaryError } from '../core/errors.js';
import { categoryProblem } from '../core/stream-name.js';
import type { PersonalFields } from '../store/personal-data.js';

const MAX_FIELDS = 32;
const MAX_PATH_LENGTH = 256;
// a path segment is a plain JSON key: no dots (the separator), nothing empty, and no `$` start (the store's envelopes and markers)
const SEGMENT = /^[^.$\s][^.\s]*$/u;

/** The segments of a data path after `data` (`data.address.city` → `['address', 'city']`). */
export function pathSegments(path: string): string[] {
  return path.split('.').slice(1);
}

/**
 * The declaration, checked and normalised (fields unique, in the given order);
 * INVALID_PERSONAL_FIELDS when a path is not into data, the subject is missing
 * or is also a field, or one field lies inside another or holds the subject.
 */
export function checkPersonalFields(category: unknown, declaration: unknown): PersonalFields {
  assertCategory(category);
  if (typeof declaration !== 'object' || declaration === null || Array.isArray(declaration)) {
    throw invalid(category, 'the declaration must be an object { subject, fields }');
  }
  const { subject, fields, ...rest } = declaration as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw invalid(category, `unknown key ${JSON.stringify(extra[0])}: a declaration has subject and fields only`);
  assertPath(category, subject, 'subject');
  if (!Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS) {
    throw invalid(category, `fields must be an array of 1 to ${MAX_FIELDS} paths`);
  }
  for (const field of fields as unknown[]) assertPath(category, field, 'field');
  const unique = [...new Set(fields as string[])];
  for (const field of unique) {
    if (field === subject) throw invalid(category, `${field} is the subject: the subject stays readable, it picks the key`);
    if (inside(subject, field)) throw invalid(category, `${field} holds the subject ${subject}: the subject stays readable, it picks the key`);
    if (inside(field, subject)) throw invalid(category, `the subject ${subject} lies inside the personal field ${field}`);
    const outer = unique.find((other) => other !== field && inside(field, other));
    if (outer !== undefined) throw invalid(category, `${field} lies inside ${outer}, which is encrypted whole`);
  }
  return { subject, fields: unique };
}

/** True when `path` lies strictly inside `outer` (`data.a.b` inside `data.a`). */
function inside(path: string, outer: string): boolean {
  return path.startsWith(`${outer}.`);
}

function assertPath(category: string, path: unknown, what: string): asserts path is string {
  if (typeof path !== 'string' || path.length > MAX_PATH_LENGTH || !path.startsWith('data.')) {
    throw invalid(category, `the ${what} path ${JSON.stringify(path)} must be a string of at most ${MAX_PATH_LENGTH} characters starting with "data."`);
  }
  if (!pathSegments(path).every((segment) => SEGMENT.test(segment))) {
    throw invalid(category, `the ${what} path ${JSON.stringify(path)} has an empty segment, a space or a segment starting with "$"`);
  }
}

/** A category as scopes and stream names know it: INVALID_PERSONAL_FIELDS otherwise. */
export function assertCategory(category: unknown): asserts category is string {
  const problem = categoryProblem(category);
  if (problem !== undefined) {
    throw new TributaryError('INVALID_PERSONAL_FIELDS', `${JSON.stringify(category)} is not a category: ${problem}`, {
      category: typeof category === 'string' ? category : null,
      reason: problem,
    });
  }
}

function invalid(category: string, reason: string): TributaryError {
  return new TributaryError('INVALID_PERSONAL_FIELDS', `the personal fields of ${JSON.stringify(category)} are malformed: ${reason}; nothing was stored`, { category, reason });
}
