import type { Categories } from '../store/filter-categories.js';
import { parseScope } from './scopes.js';

/** What a request may do, worked out from its bearer token (or granted in full in open mode). */
export interface Grant {
  /** The token's name; none in open mode. */
  name?: string;
  admin: boolean;
  /** Categories it may read; `'*'` for all. */
  read: ReadonlySet<string>;
  write: ReadonlySet<string>;
  /** Categories whose personal fields it may read in plaintext (beside those it may write); absent: none. */
  personal?: ReadonlySet<string>;
}

export const EVERYTHING: Grant = { admin: true, read: new Set(['*']), write: new Set(['*']) };
// what a request that was never authenticated may do: a route that forgot to authenticate refuses rather than opens
export const NOTHING: Grant = { admin: false, read: new Set(), write: new Set() };

/** The grant of a token's stored scopes, by the one grammar minting uses too: a scope it cannot parse grants nothing. */
export function grantOf(scopes: readonly string[], name?: string): Grant {
  const read = new Set<string>();
  const write = new Set<string>();
  const personal = new Set<string>();
  let admin = false;
  for (const scope of scopes.map(parseScope)) {
    if (scope?.action === 'admin') admin = true;
    else if (scope?.action === 'read') read.add(scope.category);
    else if (scope?.action === 'write') write.add(scope.category);
    else if (scope?.action === 'personal') {
      // reading a category's personal data is reading the category
      read.add(scope.category);
      personal.add(scope.category);
    }
  }
  return { ...(name === undefined ? {} : { name }), admin, read, write, personal };
}

/** True when the grant may read the category's personal fields in plaintext: admin, write on it, or personal on it. */
export function readsPersonal(grant: Grant, category: string): boolean {
  if (grant.admin || grant.write.has('*') || grant.write.has(category)) return true;
  return grant.personal !== undefined && (grant.personal.has('*') || grant.personal.has(category));
}

export function readsEverything(grant: Grant): boolean {
  return grant.admin || grant.read.has('*') || grant.write.has('*');
}

export function allows(grant: Grant, action: 'read' | 'write', category: string): boolean {
  if (grant.admin || grant.write.has('*') || grant.write.has(category)) return true;
  return action === 'read' && (grant.read.has('*') || grant.read.has(category));
}

/** True when the grant may read every one of `categories`. */
export function readsAll(grant: Grant, categories: Categories): boolean {
  if (readsEverything(grant)) return true;
  return categories !== '*' && categories.every((category) => allows(grant, 'read', category));
}
