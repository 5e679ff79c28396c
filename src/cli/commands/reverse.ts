import { jsonFlag, onePositional, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { reverse } from '../../time/corrections/reverse.js';
import type { EventMetadata } from '../../core/event.js';
import { parseExpectedRevision } from '../../core/expected-revision.js';

export const reverseCommand: Command = {
  name: 'reverse',
  summary: "append an event that reverses another, to the original's stream",
  usage: `tributary reverse <event-id> --reason <text> [--type T] [--data JSON] [--metadata JSON] [--id UUID] [--expected-revision any|N]
    appends one event to the original's stream: type <Type>Reversed unless --type, data
    {"reversedEventId","reversedType","reversedRevision","reason"} unless --data, and metadata linking it to the
    original (causationId and reverses name it, its correlationId is kept) with the reason; the original stays
    --id makes a retry idempotent; EVENT_NOT_FOUND for an unknown id, INVALID_CORRECTION for a store stream or a bad reason
    prints the result as JSON: {"stream","nextExpectedRevision","position","events":[...],"id"}`,
  options: {
    reason: { type: 'string' },
    type: { type: 'string' },
    data: { type: 'string' },
    metadata: { type: 'string' },
    id: { type: 'string' },
    'expected-revision': { type: 'string' },
  },
  async run({ positionals, values, openStore, stdout }) {
    const eventId = onePositional(positionals, '<event-id>');
    const data = stringFlag(values['data']);
    const metadata = stringFlag(values['metadata']);
    const expected = stringFlag(values['expected-revision']);
    const options = {
      reason: stringFlag(values['reason']) as string,
      type: stringFlag(values['type']),
      ...(data === undefined ? {} : { data: jsonFlag('data', data) }),
      ...(metadata === undefined ? {} : { metadata: jsonFlag('metadata', metadata) as EventMetadata }),
      id: stringFlag(values['id']),
      expectedRevision: expected === undefined ? undefined : parseExpectedRevision(expected),
    };
    const store = await openStore({ create: false });
    try {
      await write(stdout, JSON.stringify(await reverse(store, eventId, options)) + '\n');
    } finally {
      await store.close();
    }
  },
};
