import { type BreakKind } from '../store/schema-registry.js';

/** Rewrites of a reader-side message into what the new version changed, for old readers. */
const FORWARD_WORDING: { change: BreakKind; pattern: RegExp; wording: (version: number, ...parts: string[]) => string }[] = [
  { change: 'field-removed', pattern: /^field (.*) removed$/, wording: (v, path) => `field ${path} added, which version ${v} does not accept` },
  {
    change: 'field-added',
    pattern: /^field (.*) added to an open content model/,
    wording: (v, path) => `field ${path} dropped from an open content model, so new events may hold values there that version ${v} refuses`,
  },
  { change: 'required-added', pattern: /^required field (.*) added$/, wording: (v, path) => `field ${path} no longer required, while version ${v} requires it` },
  {
    change: 'type-narrowed',
    pattern: /^type of (.*) narrowed from (.*) to (.*)$/,
    wording: (v, path, from, to) => `type of ${path} widened from ${to} to ${from}, which version ${v} does not accept`,
  },
  { change: 'type-changed', pattern: /^type of (.*) changed from (.*) to (.*)$/, wording: (v, path, from, to) => `type of ${path} changed from ${to} to ${from} (version ${v} reads ${to})` },
  {
    change: 'enum-value-removed',
    pattern: /^enum value (.*) of (.*) removed$/,
    wording: (v, value, path) => `enum value ${value} of ${path} added, which version ${v} refuses`,
  },
  {
    change: 'constraint-tightened',
    pattern: /^(\w+) of (.*) tightened from (.*) to (.*)$/,
    wording: (v, keyword, path, from, to) => `${keyword} of ${path} loosened from ${to} to ${from}, past version ${v}'s`,
  },
  {
    change: 'constraint-tightened',
    pattern: /^(\w+) of (.*) set to (.*)$/,
    wording: (v, keyword, path, value) => `${keyword} of ${path} dropped, while version ${v} keeps it at ${value}`,
  },
];

/**
 * A break found with an older version as the reader, told as the change the new
 * version made: `field /b removed` (from the old reader's side) reads
 * `field /b added, which version 1 does not accept`.
 */
export function forwardMessage(found: { change: BreakKind; message: string }, version: number): string {
  for (const { change, pattern, wording } of FORWARD_WORDING) {
    if (change !== found.change) continue;
    const match = pattern.exec(found.message);
    if (match !== null) return wording(version, ...match.slice(1));
  }
  return `version ${version} refuses new events: ${found.message}`;
}
