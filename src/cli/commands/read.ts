import { integerFlag, onePositional, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { printEvents } from '../print-events.js';
import { branchOf } from './branch.js';

export const readCommand: Command = {
  name: 'read',
  summary: "print a stream's events as NDJSON",
  usage: `tributary read <stream> [--from N] [--limit N] [--backward] [--raw] [--json] [--branch B]
    prints one event per line: {"id","stream","type","revision","position","data","metadata","recordedAt"}
    --raw prints events as stored, not upcast to their type's latest schema version
    --json prints one document instead: {"events":[...],"next":<revision>|null}
    --branch reads the stream as what-if branch B sees it`,
  options: {
    from: { type: 'string' },
    limit: { type: 'string' },
    backward: { type: 'boolean' },
    raw: { type: 'boolean' },
    json: { type: 'boolean' },
    branch: { type: 'string' },
  },
  async run({ positionals, values, openStore, stdout }) {
    const stream = onePositional(positionals, '<stream>');
    const from = integerFlag('from', values['from']);
    const limit = integerFlag('limit', values['limit']);
    const direction = values['backward'] === true ? 'backward' : 'forward';
    const store = await openStore({ create: false });
    try {
      const source = branchOf(store, stringFlag(values['branch']));
      await printEvents(stdout, values['json'] === true, limit, from, (cursor, pageSize) =>
        source.readStream(stream, { from: cursor, limit: pageSize, direction, raw: values['raw'] === true }),
      );
    } finally {
      await store.close();
    }
  },
};
