import type { CatalogEvent, CatalogType, EventCatalog } from './event-catalog.js';

/**
 * The catalog as one Markdown document: a table of contents, then a section
 * per type with its facts, each version's schema and example event. Names are
 * escaped, so a type called `<script>` or `a|b` renders as text.
 *
 * ```ts
 * await writeFile('catalog.md', catalogMarkdown(await eventCatalog(store)));
 * ```
 */
export function catalogMarkdown(catalog: EventCatalog): string {
  const anchors = anchorsOf(catalog.types);
  const lines = [
    '# Event catalog',
    '',
    `Generated ${catalog.generatedAt}. Producers and examples come from the newest ${catalog.samplePerType} events of each type.`,
    '',
    '## Contents',
    '',
    '| type | versions | events | last seen | producers |',
    '| --- | --- | --- | --- | --- |',
    ...catalog.types.map(
      (type, i) =>
        `| [${text(type.type)}](#${anchors[i]}) | ${type.versions.length === 0 ? 'unregistered' : type.versions.map((v) => v.version).join(', ')} | ${type.count} | ${type.lastSeen?.recordedAt ?? 'never'} | ${list(type.producers)} |`,
    ),
    '',
    ...catalog.types.flatMap(typeSection),
  ];
  return lines.join('\n') + '\n';
}

function typeSection(type: CatalogType): string[] {
  const lines = [
    `## ${text(type.type)}`,
    '',
    `- **Categories:** ${list(type.categories)}`,
    `- **Events:** ${type.count}${type.lastSeen === null ? '' : `, last at position ${type.lastSeen.position} (${type.lastSeen.recordedAt})`}`,
    `- **Compatibility:** ${type.compatibility ?? 'not registered'}`,
    `- **Producers:** ${list(type.producers)}`,
    `- **Consumers:** ${list(type.consumers)}`,
    `- **Projections:** ${list(type.projections)}`,
    '',
  ];
  for (const version of type.versions) {
    lines.push(`### Version ${version.version}`, '', `Registered ${version.registeredAt}.`, '', ...json(version.schema), '');
    lines.push(...example(version.example));
  }
  if (type.unversionedExample !== null) {
    lines.push(`### ${type.versions.length === 0 ? 'Newest event' : 'Without a schema version'}`, '', ...example(type.unversionedExample));
  }
  return lines;
}

function example(event: CatalogEvent | null): string[] {
  if (event === null) return ['No example in the sample.', ''];
  return [`Example: event \`${event.id}\` of stream ${text(event.stream)} at revision ${event.revision}, position ${event.position}, recorded ${event.recordedAt}.`, '', ...json({ data: event.data, metadata: event.metadata }), ''];
}

/** A fenced block longer than any run of backticks inside, so no value can close it. */
function json(value: unknown): string[] {
  const body = JSON.stringify(value, null, 2);
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}json`, body, fence];
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.map(text).join(', ');
}

/** Text that Markdown shows as written: its punctuation backslash-escaped, HTML's characters as entities, line breaks as spaces. */
function text(value: string): string {
  return value
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\r\n]+/g, ' ');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as `-`, a repeat numbered. */
function anchorsOf(types: readonly CatalogType[]): string[] {
  // the document's own headings come first: a type called Contents links to its own section, not to the table
  const used = new Map<string, number>([['event-catalog', 1], ['contents', 1]]);
  return types.map(({ type }) => {
    const base = type
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const seen = used.get(base) ?? 0;
    used.set(base, seen + 1);
    return seen === 0 ? base : `${base}-${seen}`;
  });
}
