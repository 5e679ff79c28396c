import { text } from 'node:stream/consumers';
import { invalidArgument } from '../../core/errors.js';
import type { EventData, EventMetadata } from '../../core/event.js';
import type { AppendCondition } from '../../core/event-query.js';
import { parseExpectedRevision } from '../../core/expected-revision.js';
import { jsonFlag, onePositional, stringFlag, stringList } from '../arguments.js';
import type { Command } from '../context.js';
import { parseEventLines } from '../ndjson.js';
import { write } from '../output.js';

export const appendCommand: Command = {
  name: 'append',
  summary: 'append events to a stream, atomically',
  usage: `tributary append <stream> [--expected-revision any|no_stream|stream_exists|N] [--condition JSON]
    reads events as NDJSON on stdin, one {"type","data","metadata"?,"id"?,"tags"?} per line, or
    takes one event: --type T --data JSON [--metadata JSON] [--id UUID] [--tag T]...
    --condition {"failIfEventsMatch":[{"types"?,"tags"?}],"after"?} refuses the append with APPEND_CONDITION_FAILED
      when an event matching the query was appended after position "after"
    prints the result as JSON: {"stream","nextExpectedRevision","position","events":[{"id","revision","position"}]}`,
  options: {
    'expected-revision': { type: 'string' },
    condition: { type: 'string' },
    type: { type: 'string' },
    data: { type: 'string' },
    metadata: { type: 'string' },
    id: { type: 'string' },
    tag: { type: 'string', multiple: true },
  },
  async run({ positionals, values, openStore, stdin, stdout }) {
    const stream = onePositional(positionals, '<stream>');
    const expected = stringFlag(values['expected-revision']);
    const expectedRevision = expected === undefined ? 'any' : parseExpectedRevision(expected);
    const given = stringFlag(values['condition']);
    const condition = given === undefined ? undefined : (jsonFlag('condition', given) as AppendCondition);
    const events = await eventsFrom(values, stdin);
    const store = await openStore();
    try {
      const result = await store.append(stream, events, { expectedRevision, condition });
      await write(stdout, JSON.stringify(result) + '\n');
    } finally {
      await store.close();
    }
  },
};

/** The events of an append command: NDJSON on standard input, or one event from --type, --data, --metadata, --id and --tag. */
export async function eventsFrom(
  values: Record<string, unknown>,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
): Promise<EventData[]> {
  const type = stringFlag(values['type']);
  const data = stringFlag(values['data']);
  const metadata = stringFlag(values['metadata']);
  const id = stringFlag(values['id']);
  if (type === undefined) {
    for (const flag of ['data', 'metadata', 'id', 'tag']) {
      if (values[flag] !== undefined) throw invalidArgument(`--${flag}`, 'needs --type');
    }
    if (stdin.isTTY) throw invalidArgument('events', 'are read as NDJSON from standard input, or given with --type and --data');
    return parseEventLines(await text(stdin));
  }
  if (data === undefined) throw invalidArgument('--data', 'is required with --type');
  const event: EventData = { type, data: jsonFlag('data', data) };
  if (metadata !== undefined) event.metadata = jsonFlag('metadata', metadata) as EventMetadata;
  if (id !== undefined) event.id = id;
  const tags = stringList(values['tag']);
  if (tags !== undefined) event.tags = tags;
  return [event];
}
