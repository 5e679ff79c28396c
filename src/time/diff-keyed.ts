import { canonicalJson } from '../schemas/canonical-json.js';
import type { DiffChange, DiffEntry, DiffKey } from './diff-types.js';

/** One build's rows, each under its key's canonical text. */
export type KeyedRows = Map<string, { key: DiffKey; value: unknown }>;

/** Rows `before` lacks, rows `after` lacks, and rows both have with other content, in key order. */
export function diffKeyed(before: KeyedRows, after: KeyedRows): { added: DiffEntry[]; removed: DiffEntry[]; changed: DiffChange[] } {
  const added: DiffEntry[] = [];
  const removed: DiffEntry[] = [];
  const changed: DiffChange[] = [];
  for (const [text, row] of sorted(before)) {
    const other = after.get(text);
    if (other === undefined) removed.push(row);
    else if (canonicalJson(row.value) !== canonicalJson(other.value)) changed.push({ key: row.key, before: row.value, after: other.value });
  }
  for (const [text, row] of sorted(after)) if (!before.has(text)) added.push(row);
  return { added, removed, changed };
}

/** Rows keyed by `keyOf`, the canonical JSON of the key telling them apart. */
export function keyedRows<Row>(rows: readonly Row[], keyOf: (row: Row) => DiffKey, valueOf: (row: Row) => unknown): KeyedRows {
  const keyed: KeyedRows = new Map();
  for (const row of rows) {
    const key = keyOf(row);
    keyed.set(canonicalJson(key), { key, value: valueOf(row) });
  }
  return keyed;
}

function sorted(rows: KeyedRows): [string, { key: DiffKey; value: unknown }][] {
  return [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
