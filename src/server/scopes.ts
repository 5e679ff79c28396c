import { streamNameProblem } from '../core/stream-name.js';

/**
 * One scope of a token: `admin`, or reading or writing one category (`'*'` for
 * all of them), or reading its personal fields in plaintext (`personal:<c>`,
 * which includes `read:<c>`; `write:<c>` and `admin` include it).
 */
export type Scope = { action: 'admin' } | { action: 'read' | 'write' | 'personal'; category: string };

// what a scope's category may not hold beyond a stream name's own rules: the separators of scopes and of ?category= lists, the wildcard, spaces
const AMBIGUOUS = /[:\-*,\s\p{Z}]/u;

/**
 * The scope `text` names, or undefined when it is not one. The grammar is
 * strict — `admin`, `read:*`, `write:*`, `personal:*`, `read:<category>`,
 * `write:<category>`, `personal:<category>`, nothing else, case-sensitive — and so is every reader of it: minting refuses
 * what this refuses, and a stored scope this refuses grants nothing.
 * A category is what `categoryOf` gives for a valid stream name, without `:`,
 * `-`, `*`, `,` or whitespace, and not starting with `$` (the store's own
 * streams, which only `read:*` reads).
 *
 * ```ts
 * parseScope('write:order') // { action: 'write', category: 'order' }
 * parseScope('write:order:readonly') // undefined
 * ```
 */
export function parseScope(text: unknown): Scope | undefined {
  if (typeof text !== 'string') return undefined;
  if (text === 'admin') return { action: 'admin' };
  const colon = text.indexOf(':');
  const action = text.slice(0, colon);
  if (colon === -1 || (action !== 'read' && action !== 'write' && action !== 'personal')) return undefined;
  const category = text.slice(colon + 1);
  if (category === '*') return { action, category };
  if (streamNameProblem(category) !== undefined || AMBIGUOUS.test(category) || category.startsWith('$')) return undefined;
  return { action, category };
}
