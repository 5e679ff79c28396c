import type { StreamSummary } from '../../store/event-store.js';
import { stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';

export const streamsCommand: Command = {
  name: 'streams',
  summary: 'list streams with their last revision',
  usage: `tributary streams [--prefix S] [--category C] [--json]
    prints "<stream> <last revision>" per line, or with --json an array of
    {"stream","category","lastRevision","lastPosition","deleted"}`,
  options: {
    prefix: { type: 'string' },
    category: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, openStore, stdout }) {
    const json = values['json'] === true;
    const store = await openStore({ create: false });
    try {
      let after: string | null = '';
      let first = true;
      if (json) await write(stdout, '[');
      while (after !== null) {
        const page = await store.listStreams({
          after,
          limit: 1000,
          prefix: stringFlag(values['prefix']),
          category: stringFlag(values['category']),
        });
        let chunk = '';
        for (const summary of page.streams) {
          chunk += json ? (first ? '' : ',') + JSON.stringify(summary) : textLine(summary);
          first = false;
        }
        if (chunk !== '') await write(stdout, chunk);
        after = page.next;
      }
      if (json) await write(stdout, ']\n');
    } finally {
      await store.close();
    }
  },
};

function textLine(summary: StreamSummary): string {
  const deleted = summary.deleted === false ? '' : ` (${summary.deleted === 'soft' ? 'deleted' : 'tombstoned'})`;
  return `${summary.stream}\t${summary.lastRevision}${deleted}\n`;
}
