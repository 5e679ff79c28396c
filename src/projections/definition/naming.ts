import { STORE_PREFIXES, isStoreName } from '../../store/reserved-names.js';

/**
 * A projection name: 1-40 lower-case letters, digits and `_`, starting with a
 * letter. Lower case because PostgreSQL folds unquoted names to it, so a reader's
 * plain `SELECT * FROM orders` finds the view on both backends.
 */
const GRAMMAR = /^[a-z][a-z0-9_]{0,39}$/;

// `<name>_g<n>` is a generation's table, and what hangs off it starts the same way (`_g1_doc`, `_g1_pkey`, FTS5's `_g1_data`)
const GENERATION_PART = /_g\d+(?:_|$)/;

/**
 * Why `name` cannot name a projection, or undefined when it can. A sink in the
 * store's database (`sql`) also may not take a name the store keeps its own
 * tables under; a lake's name only names its directory and its DuckDB view.
 */
export function projectionNameProblem(name: unknown, storage: 'sql' | 'lake'): string | undefined {
  if (typeof name !== 'string' || !GRAMMAR.test(name)) return 'must be 1-40 lower-case letters, digits or _, starting with a letter';
  if (GENERATION_PART.test(name)) return 'must not contain _g followed by digits: generations keep their tables under such names';
  if (storage === 'sql' && isStoreName(name)) {
    return `is reserved: the store keeps its own tables under it (reserved are the store's table and index names, and names starting ${STORE_PREFIXES.join(', ')})`;
  }
  return undefined;
}
