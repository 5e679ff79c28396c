import { onePositional } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { findEvent } from '../../time/corrections/find-event.js';

export const eventCommand: Command = {
  name: 'event',
  summary: 'print one event, found by its id',
  usage: `tributary event <event-id>
    prints the event as JSON: {"id","stream","type","revision","position","data","metadata","tags","recordedAt"}
    EVENT_NOT_FOUND when no readable event has that id`,
  options: {},
  async run({ positionals, openStore, stdout }) {
    const id = onePositional(positionals, '<event-id>');
    const store = await openStore({ create: false });
    try {
      await write(stdout, (await findEvent(store, id)).toJsonText() + '\n');
    } finally {
      await store.close();
    }
  },
};
