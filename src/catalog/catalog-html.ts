import type { CatalogEvent, CatalogType, EventCatalog } from './event-catalog.js';

// inline, so the page is one file that opens anywhere, offline, with nothing fetched
const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 2rem; color: #1b1f24; }
h1 { margin-bottom: 0.2rem; } h2 { border-top: 1px solid #d0d7de; padding-top: 1rem; margin-top: 2rem; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 0.25rem 0.75rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
pre { background: #f6f8fa; padding: 0.75rem; overflow-x: auto; border-radius: 4px; } code { font-size: 0.9em; }
.muted { color: #57606a; }
`;

/**
 * The catalog as one static, self-contained HTML page: a table of contents,
 * then a section per type with its facts, each version's schema and example
 * event. Every value from the store is escaped; the page loads nothing.
 *
 * ```ts
 * await writeFile('catalog.html', catalogHtml(await eventCatalog(store)));
 * ```
 */
export function catalogHtml(catalog: EventCatalog): string {
  const rows = catalog.types.map(
    (type, i) =>
      `<tr><td><a href="#type-${i}">${escape(type.type)}</a></td><td>${type.versions.length === 0 ? 'unregistered' : type.versions.map((v) => v.version).join(', ')}</td><td>${type.count}</td><td>${escape(type.lastSeen?.recordedAt ?? 'never')}</td><td>${list(type.producers)}</td></tr>`,
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Event catalog</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Event catalog</h1>
<p class="muted">Generated ${escape(catalog.generatedAt)}. Producers and examples come from the newest ${catalog.samplePerType} events of each type.</p>
<nav>
<h2>Contents</h2>
<table>
<thead><tr><th>type</th><th>versions</th><th>events</th><th>last seen</th><th>producers</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</nav>
${catalog.types.map(typeSection).join('\n')}
</body>
</html>
`;
}

function typeSection(type: CatalogType, index: number): string {
  const lastSeen = type.lastSeen === null ? '' : `, last at position ${type.lastSeen.position} (${escape(type.lastSeen.recordedAt)})`;
  const parts = [
    `<section id="type-${index}">`,
    `<h2>${escape(type.type)}</h2>`,
    '<dl>',
    `<dt>Categories</dt><dd>${list(type.categories)}</dd>`,
    `<dt>Events</dt><dd>${type.count}${lastSeen}</dd>`,
    `<dt>Compatibility</dt><dd>${escape(type.compatibility ?? 'not registered')}</dd>`,
    `<dt>Producers</dt><dd>${list(type.producers)}</dd>`,
    `<dt>Consumers</dt><dd>${list(type.consumers)}</dd>`,
    `<dt>Projections</dt><dd>${list(type.projections)}</dd>`,
    '</dl>',
  ];
  for (const version of type.versions) {
    parts.push(`<h3>Version ${version.version}</h3>`, `<p class="muted">Registered ${escape(version.registeredAt)}.</p>`, json(version.schema), example(version.example));
  }
  if (type.unversionedExample !== null) {
    parts.push(`<h3>${type.versions.length === 0 ? 'Newest event' : 'Without a schema version'}</h3>`, example(type.unversionedExample));
  }
  parts.push('</section>');
  return parts.join('\n');
}

function example(event: CatalogEvent | null): string {
  if (event === null) return '<p class="muted">No example in the sample.</p>';
  const where = `<p>Example: event <code>${escape(event.id)}</code> of stream ${escape(event.stream)} at revision ${event.revision}, position ${event.position}, recorded ${escape(event.recordedAt)}.</p>`;
  return where + '\n' + json({ data: event.data, metadata: event.metadata });
}

function json(value: unknown): string {
  return `<pre><code>${escape(JSON.stringify(value, null, 2))}</code></pre>`;
}

function list(names: readonly string[]): string {
  return names.length === 0 ? '<span class="muted">none</span>' : names.map(escape).join(', ');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
