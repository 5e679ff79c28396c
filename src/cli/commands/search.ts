import { invalidArgument } from '../../core/errors.js';
import { integerFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { projectionsApi } from '../projections-api.js';
import { write } from '../output.js';

export const searchCommand: Command = {
  name: 'search',
  summary: 'full-text search in a search projection, best match first',
  usage: `tributary search <projection> "<terms>" [--limit N] [--json]
    prints one line per hit: rank, id, and the indexed fields; --json prints the hits as an array`,
  options: {
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, remote, stdout }) {
    if (positionals.length !== 2) throw invalidArgument('search', 'takes a projection and the terms (quoted)');
    const [projection, terms] = positionals as [string, string];
    const store = await openStore({ create: false });
    try {
      const hits = await projectionsApi(store, remote).search(projection, terms, integerFlag('limit', values['limit']));
      if (values['json'] === true) return await write(stdout, JSON.stringify(hits) + '\n');
      await write(stdout, hits.map((hit) => `${hit.rank.toFixed(3)}\t${hit.id}\t${JSON.stringify(hit.fields)}\n`).join(''));
    } finally {
      await store.close();
    }
  },
};
