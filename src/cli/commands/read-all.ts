import { invalidArgument } from '../../core/errors.js';
import { integerFlag, stringFlag, stringList } from '../arguments.js';
import type { Command } from '../context.js';
import { printEvents } from '../print-events.js';
import { branchOf } from './branch.js';

export const readAllCommand: Command = {
  name: 'read-all',
  summary: 'print the global log as NDJSON, optionally filtered',
  usage: `tributary read-all [--after P] [--limit N] [--category C]... [--type T]... [--tag T]... [--prefix S] [--as-of T|P] [--raw] [--json] [--branch B]
    prints events after position P (default 0: from the beginning) in position order
    --as-of reads the log as it stood at a position P or an ISO 8601 time T (2026-03-01T12:00:00Z): nothing after that point
    --tag keeps the events carrying every tag given (repeat it; a tag is never split at commas)
    --raw prints events as stored, not upcast to their type's latest schema version
    --json prints one document instead: {"events":[...],"next":<position>|null}
    --branch reads the log as what-if branch B sees it`,
  options: {
    after: { type: 'string' },
    limit: { type: 'string' },
    category: { type: 'string', multiple: true },
    type: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    prefix: { type: 'string' },
    'as-of': { type: 'string' },
    raw: { type: 'boolean' },
    json: { type: 'boolean' },
    branch: { type: 'string' },
  },
  async run({ values, positionals, openStore, stdout }) {
    if (positionals.length > 0) throw invalidArgument('read-all', `takes no arguments, got ${positionals.join(' ')}`);
    const after = integerFlag('after', values['after']) ?? 0;
    const limit = integerFlag('limit', values['limit']);
    const categories = stringList(values['category']);
    const types = stringList(values['type']);
    const tags = stringList(values['tag']);
    const prefix = stringFlag(values['prefix']);
    const asOf = stringFlag(values['as-of']);
    const store = await openStore({ create: false });
    try {
      const source = branchOf(store, stringFlag(values['branch']));
      await printEvents(stdout, values['json'] === true, limit, after, (cursor, pageSize) =>
        source.readAll({ after: cursor ?? 0, limit: pageSize, categories, types, tags, streamPrefix: prefix, raw: values['raw'] === true, asOf }),
      );
    } finally {
      await store.close();
    }
  },
};
