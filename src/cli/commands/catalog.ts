import { join } from 'node:path';
import { RemoteHttp } from '../../backends/remote/remote-http.js';
import { catalogHtml } from '../../catalog/catalog-html.js';
import { catalogMarkdown } from '../../catalog/catalog-markdown.js';
import { eventCatalog, type EventCatalog } from '../../catalog/event-catalog.js';
import type { Command, CommandContext } from '../context.js';
import { write } from '../output.js';
import { writeFilesAtomically } from '../write-atomically.js';

export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'the event catalog: every event type with its versions, examples, producers, consumers, count and last seen',
  usage: `tributary catalog [--out <dir>] [--json]
    prints the catalog as Markdown, or with --json as JSON; with --out writes catalog.html
    (one self-contained page) and catalog.md into <dir> instead, each replaced whole.
    With --url the server's GET /catalog answers, narrowed to what the token may read.`,
  options: { out: { type: 'string' }, json: { type: 'boolean' } },
  async run(context) {
    const catalog = await gather(context);
    const out = context.values['out'];
    if (typeof out === 'string') {
      await writeFilesAtomically(out, { 'catalog.html': catalogHtml(catalog), 'catalog.md': catalogMarkdown(catalog) });
      await write(context.stdout, `${join(out, 'catalog.html')}\n${join(out, 'catalog.md')}\n`);
    } else if (context.values['json'] === true) {
      await write(context.stdout, JSON.stringify(catalog, null, 2) + '\n');
    } else {
      await write(context.stdout, catalogMarkdown(catalog));
    }
  },
};

/** The store's own catalog, or through a server (which has no SQL to offer a client) its GET /catalog. */
async function gather({ remote, openStore }: CommandContext): Promise<EventCatalog> {
  if (remote !== undefined) return new RemoteHttp(remote.url, remote.token).request<EventCatalog>('GET', '/catalog', { query: { format: 'json' } });
  const store = await openStore({ create: false });
  try {
    return await eventCatalog(store);
  } finally {
    await store.close();
  }
}
