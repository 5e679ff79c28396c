import { invalidArgument } from '../../core/errors.js';
import type { Command } from '../context.js';
import { projectionsApi } from '../projections-api.js';
import { write } from '../output.js';

export const lakeCommand: Command = {
  name: 'lake',
  summary: 'run SQL over the data lake through DuckDB',
  usage: `tributary lake query "<sql>" [--json]
    every lake projection is a view named after it, with its columns plus day and category, e.g.
      tributary lake query "SELECT category, count(*) AS n FROM events GROUP BY category"
    prints a header and tab-separated rows; --json prints the rows as an array`,
  options: {
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, remote, stdout }) {
    if (positionals[0] !== 'query' || positionals.length !== 2) throw invalidArgument('lake', 'usage: tributary lake query "<sql>"');
    const store = await openStore({ create: false });
    try {
      const rows = await projectionsApi(store, remote).lakeQuery(positionals[1]!);
      if (values['json'] === true) return await write(stdout, JSON.stringify(rows) + '\n');
      const columns = rows.length === 0 ? [] : Object.keys(rows[0]!);
      const cell = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
      await write(stdout, [columns.join('\t'), ...rows.map((row) => columns.map((column) => cell(row[column])).join('\t'))].join('\n') + '\n');
    } finally {
      await store.close();
    }
  },
};
