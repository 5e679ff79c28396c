import { integerFlag, onePositional, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { printEvents } from '../print-events.js';
import { branchOf } from './branch.js';

export const readCommand: Command = {
  name: 'read',
  summary: "print a stream's events as NDJSON",
  usage: `tributary read <stream> [--from N] [--limit N] [--backward] [--as-of T|P] [--raw] [--json] [--branch B]
    prints one event per line: {"id","stream","type","revision","position","data","metadata","recordedAt"}
    --as-of reads the stream as it stood at a position P or an ISO 8601 time T (2026-03-01T12:00:00Z):
      only its events at or before that point; a stream with none by then is STREAM_NOT_FOUND
    --raw prints events as stored, not upcast to their type's latest schema version
    --json prints one document instead: {"events":[...],"next":<revision>|null}
    --branch reads the stream as what-if branch B sees it`,
  options: {
    from: { type: 'string' },
    limit: { type: 'string' },
    backward: { type: 'boolean' },
    'as-of': { type: 'string' },
    raw: { type: 'boolean' },
    json: { type: 'boolean' },
    branch: { type: 'string' },
  },
  async run({ positionals, values, openStore, stdout }) {
    const stream = onePositional(positionals, '<stream>');
    const from = integerFlag('from', values['from']);
    const limit = integerFlag('limit', values['limit']);
    const direction = values['backward'] === true ? 'backward' : 'forward';
    const asOf = stringFlag(values['as-of']);
    const store = await openStore({ create: false });
    try {
      const source = branchOf(store, stringFlag(values['branch']));
      await printEvents(stdout, values['json'] === true, limit, from, (cursor, pageSize) =>
        source.readStream(stream, { from: cursor, limit: pageSize, direction, raw: values['raw'] === true, asOf }),
      );
    } finally {
      await store.close();
    }
  },
};
