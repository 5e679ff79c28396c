import { invalidArgument } from '../../core/errors.js';
import { rawReads } from '../../store/raw-reads.js';
import { subscribeToAll, subscribeToStream } from '../../subscriptions/log-subscription.js';
import { integerFlag, stringFlag, stringList } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { branchOf } from './branch.js';

export const tailCommand: Command = {
  name: 'tail',
  summary: 'follow a stream or the global log live, as NDJSON',
  usage: `tributary tail [<stream> | --all] [--after P] [--category C]... [--type T]... [--prefix S] [--raw] [--no-follow] [--branch B]
    prints events as they are appended, one JSON object per line, until interrupted
    --after P     start after position P instead of at the end (--after 0: from the beginning)
    --category, --type, --prefix filter the global log (not a single stream)
    --raw         print events as stored, not upcast to their type's latest schema version
    --no-follow   stop once the history is printed, instead of following live
    --branch B    follow what-if branch B instead of the real log`,
  options: {
    all: { type: 'boolean' },
    after: { type: 'string' },
    category: { type: 'string', multiple: true },
    type: { type: 'string', multiple: true },
    prefix: { type: 'string' },
    raw: { type: 'boolean' },
    'no-follow': { type: 'boolean' },
    branch: { type: 'string' },
  },
  async run({ values, positionals, openStore, stdout, signal }) {
    if (positionals.length > 1) throw invalidArgument('tail', `takes at most one stream, got ${positionals.join(' ')}`);
    const stream = positionals[0];
    const categories = stringList(values['category']);
    const types = stringList(values['type']);
    const prefix = stringFlag(values['prefix']);
    if (stream !== undefined && (values['all'] === true || categories || types || prefix !== undefined)) {
      throw invalidArgument('tail', 'give a stream or --all with filters, not both');
    }
    const follow = values['no-follow'] !== true;
    const opened = await openStore({ create: false });
    const target = branchOf(opened, stringFlag(values['branch']));
    const store = values['raw'] === true ? rawReads(target) : target;
    try {
      const after = integerFlag('after', values['after']) ?? (await store.headPosition());
      const messages =
        stream === undefined
          ? subscribeToAll(store, { after, categories, types, streamPrefix: prefix, signal })
          : subscribeToStream(store, stream, { after, signal });
      for await (const message of messages) {
        if (message.kind === 'caught-up') {
          if (!follow) break;
          continue;
        }
        await write(stdout, message.event.toJsonText() + '\n');
      }
    } finally {
      await opened.close();
    }
  },
};
