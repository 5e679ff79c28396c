import type { DiffKey, ProjectionDiff } from '../time/diff-types.js';

/**
 * A diff for people: a summary line, then `+` for each row added, `-` for each
 * removed and `~` for each changed, with only the fields that changed.
 *
 * ```
 * orders (table, keyed by order_id), main -> late: 1 added, 1 removed, 1 changed
 * + order_id=o6  {"order_id":"o6","status":"placed"}
 * ~ order_id=o5  status: "placed" -> "shipped"
 * ```
 */
export function diffText(diff: ProjectionDiff, a: string, b: string): string {
  const keyed = diff.keyedBy === null ? 'rows as a multiset' : `keyed by ${diff.keyedBy.join(', ')}`;
  const counts = `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`;
  const lines = [`${diff.projection} (${diff.sink}, ${keyed}), ${a} -> ${b}: ${counts}`];
  for (const { key, value } of diff.added) lines.push(entry('+', key, JSON.stringify(value)));
  for (const { key, value } of diff.removed) lines.push(entry('-', key, JSON.stringify(value)));
  for (const { key, before, after } of diff.changed) lines.push(entry('~', key, changes(before, after)));
  if (diff.truncated) lines.push('(more differences than a lake query returns: the lists stop at 100,000 rows each way)');
  return lines.join('\n') + '\n';
}

function entry(sign: string, key: DiffKey, text: string): string {
  return key === null ? `${sign} ${text}` : `${sign} ${keyText(key)}  ${text}`;
}

function keyText(key: Exclude<DiffKey, null>): string {
  if (typeof key === 'string') return key;
  return Object.entries(key)
    .map(([column, value]) => `${column}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

/** The fields of two objects that differ, `field: before -> after`; the whole values otherwise. */
function changes(before: unknown, after: unknown): string {
  if (!isObject(before) || !isObject(after)) return `${JSON.stringify(before)} -> ${JSON.stringify(after)}`;
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const shown = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
  return fields
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => `${field}: ${shown(before[field])} -> ${shown(after[field])}`)
    .join(', ');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
