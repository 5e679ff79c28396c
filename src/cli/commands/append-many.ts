import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { invalidArgument } from '../../core/errors.js';
import type { AppendCondition } from '../../core/event-query.js';
import type { StreamAppend } from '../../core/stream-appends.js';
import { jsonFlag, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { parseAppendLines } from '../ndjson.js';
import { write } from '../output.js';

export const appendManyCommand: Command = {
  name: 'append-many',
  summary: 'append to several streams at once: all of them or none',
  usage: `tributary append-many [--condition JSON] [--json]
    reads NDJSON on stdin, one {"stream","event"} per line; each stream's events are appended in line order,
    the streams in the order they first appear
  tributary append-many --file <path> [--json]
    takes {"appends":[{"stream","expectedRevision"?,"events":[...]}],"condition"?} from a JSON file
  --condition {"failIfEventsMatch":[{"types"?,"tags"?}],"after"?} refuses the whole call with APPEND_CONDITION_FAILED
    when an event matching the query was appended after position "after"
  prints one line per stream, each what tributary append prints for it;
  --json prints one document instead: {"position","streams":[...]}`,
  options: {
    file: { type: 'string' },
    condition: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ positionals, values, openStore, stdin, stdout }) {
    if (positionals.length > 0) throw invalidArgument('append-many', `takes no arguments, got ${positionals.join(' ')}`);
    const { appends, condition } = await callFrom(values, stdin);
    const store = await openStore();
    try {
      const result = await store.appendMany(appends, { condition });
      const out = values['json'] === true ? JSON.stringify(result) + '\n' : result.streams.map((stream) => JSON.stringify(stream) + '\n').join('');
      await write(stdout, out);
    } finally {
      await store.close();
    }
  },
};

interface Call {
  appends: StreamAppend[];
  condition: AppendCondition | undefined;
}

async function callFrom(values: Record<string, unknown>, stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<Call> {
  const file = stringFlag(values['file']);
  const flagged = stringFlag(values['condition']);
  const condition = flagged === undefined ? undefined : (jsonFlag('condition', flagged) as AppendCondition);
  if (file === undefined) {
    if (stdin.isTTY) throw invalidArgument('appends', 'are read as NDJSON {"stream","event"} lines from standard input, or from --file');
    return { appends: parseAppendLines(await text(stdin)), condition };
  }
  const given = fileContent(file);
  if (condition !== undefined && given.condition !== undefined) throw invalidArgument('--condition', `is given in ${file} too: give it once`);
  return { appends: given.appends as StreamAppend[], condition: (given.condition as AppendCondition | undefined) ?? condition };
}

/** The file's `{"appends", "condition"?}`; the store checks what is inside them. */
function fileContent(file: string): { appends: unknown; condition: unknown } {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidArgument('--file', `cannot be read: ${(error as Error).message}`);
  }
  const value = jsonFlag('file', content);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument('--file', 'must hold a JSON object {"appends", "condition"?}');
  const { appends, condition, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw invalidArgument('--file', `has an unknown field ${JSON.stringify(extra)}; it holds {"appends", "condition"?}`);
  return { appends, condition };
}
