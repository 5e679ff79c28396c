import type { CategoryMode, SchemaTypeDetails, SchemaTypeSummary } from '../store/schema-registry.js';

/** `schema list`: one line per event type — type, latest version, compatibility, categories, upcaster steps. */
export function typeLines(types: readonly SchemaTypeSummary[]): string {
  return types.map((summary) => [summary.type, `v${summary.latest}`, summary.compatibility, listed(summary.categories), upcasters(summary.upcasters)].join('\t') + '\n').join('');
}

/** `schema mode`: one line per category that has a mode. */
export function modeLines(modes: readonly CategoryMode[]): string {
  return modes.map(({ category, mode }) => `${category}\t${mode}\n`).join('');
}

/** `schema show <type>`: the summary line, then each version with its schema, then each upcaster's rules. */
export function typeText(details: SchemaTypeDetails): string {
  const lines = [typeLines([details]).trimEnd()];
  for (const version of details.versions) {
    lines.push('', `version ${version.version}, registered ${version.registeredAt} at position ${version.position}:`, JSON.stringify(version.schema, null, 2));
  }
  for (const { fromVersion, rules } of details.rules) {
    lines.push('', `upcaster ${fromVersion} -> ${fromVersion + 1}:`, ...rules.map((rule) => `  ${JSON.stringify(rule)}`));
  }
  return lines.join('\n') + '\n';
}

function listed(values: readonly string[]): string {
  return values.length === 0 ? '-' : values.join(',');
}

function upcasters(from: readonly number[]): string {
  return from.length === 0 ? '-' : from.map((version) => `${version}->${version + 1}`).join(',');
}
