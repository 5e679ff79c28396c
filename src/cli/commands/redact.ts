import { redact } from '../../time/corrections/redact.js';
import { onePositional, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';

export const redactCommand: Command = {
  name: 'redact',
  summary: "replace one event's data and metadata by a redaction marker, with an audit event",
  usage: `tributary redact <event-id> --reason <text> [--by <name>]
    the event keeps its id, type, stream, revision and position; its data and metadata become
    {"redacted":true,"reason","at","by"} for every reader, and $audit-redactions gets one EventRedacted event
    prints {"event","marker","alreadyRedacted"}; redacting again changes nothing and answers the first marker
    --by names who asks (a store reached with --url records the token's name instead)`,
  options: { reason: { type: 'string' }, by: { type: 'string' } },
  async run({ positionals, values, openStore, stdout }) {
    const eventId = onePositional(positionals, '<event-id>');
    const store = await openStore({ create: false });
    try {
      const outcome = await redact(store, eventId, { reason: stringFlag(values['reason']) ?? '', by: stringFlag(values['by']) ?? null });
      await write(stdout, JSON.stringify({ event: outcome.event, marker: outcome.marker, alreadyRedacted: outcome.alreadyRedacted }) + '\n');
    } finally {
      await store.close();
    }
  },
};
