import { TributaryError } from './errors.js';

/** The longest tag accepted, in UTF-16 code units. */
export const MAX_TAG_LENGTH = 256;
/** The most tags one event may carry. */
export const MAX_TAGS_PER_EVENT = 32;

// the same characters stream names refuse: controls, invisible format characters, lone surrogates
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/** Why `tag` is not a usable tag, or undefined when it is one. */
export function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return 'must be a string';
  if (tag.length === 0) return 'must not be empty';
  if (tag.length > MAX_TAG_LENGTH) return `must be at most ${MAX_TAG_LENGTH} characters`;
  if (UNPRINTABLE.test(tag)) return 'must not contain control characters, invisible format characters or lone surrogates';
  return undefined;
}

/**
 * Checks a list of tags (an event's, or a query item's) and returns it:
 * an array of at most 32 distinct usable tags. `where` names the list in the
 * error, e.g. `event 2` or `query item 0`. Throws `INVALID_TAG`.
 *
 * ```ts
 * checkTags(['customer:42', 'room:7'], 'event 0');
 * ```
 */
export function checkTags(tags: unknown, where: string, details: Record<string, unknown> = {}): readonly string[] {
  if (!Array.isArray(tags)) throw invalidTag(where, 'tags must be an array of strings', { ...details, tag: null });
  if (tags.length > MAX_TAGS_PER_EVENT) {
    throw invalidTag(where, `at most ${MAX_TAGS_PER_EVENT} tags, got ${tags.length}`, { ...details, tag: null });
  }
  const seen = new Set<string>();
  for (const tag of tags as unknown[]) {
    const problem = tagProblem(tag);
    if (problem !== undefined) throw invalidTag(where, `tag ${JSON.stringify(tag)} ${problem}`, { ...details, tag: typeof tag === 'string' ? tag : null });
    if (seen.has(tag as string)) throw invalidTag(where, `tag ${JSON.stringify(tag)} appears twice`, { ...details, tag });
    seen.add(tag as string);
  }
  return tags as string[];
}

function invalidTag(where: string, reason: string, details: Record<string, unknown>): TributaryError {
  return new TributaryError('INVALID_TAG', `${where}: ${reason}`, { ...details, reason });
}
