import { TributaryError } from './errors.js';

/** The longest stream name accepted, in UTF-16 code units. */
export const MAX_STREAM_NAME_LENGTH = 256;

// C0 and C1 controls (DEL included), and the invisible format characters (bidi overrides, zero-width ones) that spoof names in listings
const UNPRINTABLE = /[\p{Cc}\p{Cf}]/u;
// with the u flag a surrogate class matches only a half without its partner
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Throws `INVALID_STREAM_NAME` unless `name` is a usable stream name:
 * a non-empty string of at most 256 characters, with no control characters,
 * no invisible format characters (Unicode category Cf: U+202E, U+200B,
 * U+FEFF…), no lone surrogates, not starting with `-` (which would leave it
 * without a category).
 */
export function assertStreamName(name: unknown): asserts name is string {
  const reason = streamNameProblem(name);
  if (reason !== undefined) {
    throw new TributaryError('INVALID_STREAM_NAME', `invalid stream name ${JSON.stringify(name)}: ${reason}`, {
      stream: typeof name === 'string' ? name : null,
      reason,
    });
  }
}

/** Why `name` is not a usable stream name, or undefined when it is one. */
export function streamNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_STREAM_NAME_LENGTH) return `must be at most ${MAX_STREAM_NAME_LENGTH} characters`;
  if (UNPRINTABLE.test(name)) return 'must not contain control or invisible format characters';
  if (LONE_SURROGATE.test(name)) return 'must not contain lone surrogates (it is not valid Unicode)';
  if (name.startsWith('-')) return "must not start with '-'";
  return undefined;
}

// what a category may not hold beyond a stream name's own rules: the separators of stream names, scopes and lists, wildcards, spaces
const NOT_IN_CATEGORY = /[:\-*,\s\p{Z}]/u;

/** Why `category` is not a category an ordinary stream can be in (the same rule scopes use), or undefined when it is one. */
export function categoryProblem(category: unknown): string | undefined {
  if (typeof category !== 'string' || category === '') return 'must be a non-empty string';
  return (
    streamNameProblem(category) ??
    (category.startsWith('$') ? "must not start with '$' (the store's own streams)" : NOT_IN_CATEGORY.test(category) ? 'must not hold -, :, *, commas or spaces' : undefined)
  );
}

/**
 * The category of a stream: the part of its name before the first `-`,
 * or the whole name when it has none.
 *
 * ```ts
 * categoryOf('account-12345') // 'account'
 * ```
 */
export function categoryOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash === -1 ? stream : stream.slice(0, dash);
}
