import type { HistoryEntry } from '../time/corrections/history.js';

/**
 * A record's history as an indented tree, one line per event: each event
 * without a cause here in position order, the events it caused under it.
 *
 * ```text
 * #2 2026-03-01T09:12:00.000Z account-damon Deposited by teller-app
 *   #6 2026-03-01T09:40:00.000Z account-damon DepositedReversed by ops reverses #2
 * ```
 */
export function historyTree(entries: readonly HistoryEntry[]): string[] {
  const children = new Map<string, HistoryEntry[]>();
  for (const entry of entries) if (entry.parent !== null) children.set(entry.parent, [...(children.get(entry.parent) ?? []), entry]);
  const positionOf = new Map(entries.map((entry) => [entry.event.id, entry.event.position]));
  const lines: string[] = [];
  const draw = (entry: HistoryEntry, depth: number) => {
    lines.push('  '.repeat(depth) + lineOf(entry, positionOf));
    for (const child of children.get(entry.event.id) ?? []) draw(child, depth + 1);
  };
  for (const entry of entries) if (entry.parent === null) draw(entry, 0);
  return lines;
}

function lineOf(entry: HistoryEntry, positionOf: Map<string, number>): string {
  const { event } = entry;
  const marks: string[] = [];
  if (entry.reverses !== undefined) marks.push(`reverses ${positionOf.has(entry.reverses) ? `#${positionOf.get(entry.reverses)}` : entry.reverses}`);
  if (entry.kind === 'redacted' || entry.kind === 'redaction' || entry.kind === 'forget') marks.push(entry.kind);
  if (entry.matched !== 'stream' && entry.matched !== 'audit') marks.push(`(${entry.matched})`);
  return [`#${event.position}`, entry.recordedAt, event.stream, event.type, `by ${entry.appendedBy ?? '-'}`, ...marks].join(' ');
}
