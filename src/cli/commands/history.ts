import { integerFlag, onePositional } from '../arguments.js';
import type { Command } from '../context.js';
import { historyTree } from '../history-tree.js';
import { write } from '../output.js';
import { history } from '../../time/corrections/history.js';

export const historyCommand: Command = {
  name: 'history',
  summary: 'print every event that touched a record: a stream, a correlation id, a subject or an event id',
  usage: `tributary history <stream | correlation-id | subject | event-id> [--after P] [--limit N] [--json]
    prints the events in position order as a causation tree, one line per event:
      #<position> <recorded at> <stream> <type> by <token name or -> [reverses #P] [redacted|redaction|forget] [(correlation|subject|event)]
    an event caused by another shown here is indented under it
    --limit caps the answer (default 1000, at most 10000); a last line says how to read on
    --json prints {"entries":[{"event","appendedBy","recordedAt","matched","kind","reverses"?,"parent","depth"}],"truncated","next"}`,
  options: {
    after: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ positionals, values, openStore, stdout }) {
    const id = onePositional(positionals, '<stream | correlation-id | subject | event-id>');
    const after = integerFlag('after', values['after']);
    const limit = integerFlag('limit', values['limit']);
    const store = await openStore({ create: false });
    try {
      const found = await history(store, id, { after, limit });
      if (values['json'] === true) {
        await write(stdout, JSON.stringify({ entries: found.entries, truncated: found.truncated, next: found.next }) + '\n');
        return;
      }
      const lines = historyTree(found.entries);
      if (found.next !== null) lines.push(`… more: tributary history ${JSON.stringify(id)} --after ${found.next}`);
      await write(stdout, lines.map((line) => line + '\n').join(''));
    } finally {
      await store.close();
    }
  },
};
