import { invalidArgument } from '../../core/errors.js';
import { lakesIn } from '../../projections/sinks/lake-directory.js';
import { queryLake } from '../../projections/sinks/lake-query.js';
import { integerFlag, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { projectionsApi } from '../projections-api.js';
import { write } from '../output.js';

export const lakeCommand: Command = {
  name: 'lake',
  summary: 'run SQL over the data lake through DuckDB',
  usage: `tributary lake query "<sql>" [--limit N] [--json] [--dir <lake directory>]
    every lake projection is a view named after it, with its columns plus day and category, e.g.
      tributary lake query "SELECT category, count(*) AS n FROM events GROUP BY category"
    with --dir, the lakes under that directory instead of the store's (a replay's, say): each
    <dir>/<projection>/g<N> is a view named after the projection; no store is opened
    one read-only SELECT; anything else (COPY, CREATE, INSERT, ATTACH, SET, several statements…) is refused
    prints a header and tab-separated rows; --json prints the rows as an array
    at most --limit rows (default 10,000, at most 100,000 or the server's maximum); a note on stderr says when
    the query had more. The query stops after 30 s (or the server's limit); Ctrl-C stops it too`,
  options: {
    json: { type: 'boolean' },
    limit: { type: 'string' },
    dir: { type: 'string' },
  },
  async run({ values, positionals, openStore, remote, stdout, signal }) {
    if (positionals[0] !== 'query' || positionals.length !== 2) throw invalidArgument('lake', 'usage: tributary lake query "<sql>"');
    const limit = integerFlag('limit', values['limit']);
    const dir = stringFlag(values['dir']);
    const store = dir === undefined ? await openStore({ create: false }) : undefined;
    try {
      const sql = positionals[1]!;
      const query = store === undefined ? queryLake(lakesIn(dir!), sql, { limit, signal }) : projectionsApi(store, remote).lakeQuery(sql, { limit, signal });
      const answer = await query.catch((error: unknown) => {
        if (signal.aborted) return undefined;
        throw error;
      });
      if (answer === undefined) {
        process.stderr.write('interrupted: the lake query was stopped\n');
        return;
      }
      const { rows, truncated } = answer;
      if (values['json'] === true) await write(stdout, JSON.stringify(rows) + '\n');
      else {
        const columns = rows.length === 0 ? [] : Object.keys(rows[0]!);
        const cell = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
        await write(stdout, [columns.join('\t'), ...rows.map((row) => columns.map((column) => cell(row[column])).join('\t'))].join('\n') + '\n');
      }
      if (truncated) process.stderr.write(`tributary: the answer stops at ${rows.length} rows; the query had more (--limit raises the cap)\n`);
    } finally {
      await store?.close();
    }
  },
};
