import type { Writable } from 'node:stream';
import { invalidArgument } from '../../core/errors.js';
import { isEventId } from '../../core/event-id.js';
import type { ParkedEntry } from '../../store/consumer-store.js';
import type { EventStore } from '../../store/event-store.js';
import { parkedEvents, purgeParked, replayParked } from '../../subscriptions/parked.js';
import type { Command } from '../context.js';
import { write } from '../output.js';

export const parkedCommand: Command = {
  name: 'parked',
  summary: "list a consumer's parked events, replay or purge them",
  usage: `tributary parked <consumer> [--replay | --purge] [<position or event id>...] [--json]
    lists the parked events: position, stream, type, attempts, first line of the error
    --replay  hands the chosen parked events (all when none are named) back to the running consumer
    --purge   deletes the chosen parked events (all when none are named)
    --json    prints the parked events as an array, or {"replayed":n} / {"purged":n}`,
  options: {
    replay: { type: 'boolean' },
    purge: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, stdout }) {
    const [consumer, ...chosen] = positionals;
    if (consumer === undefined) throw invalidArgument('consumer', 'is required');
    const replay = values['replay'] === true;
    const purge = values['purge'] === true;
    if (replay && purge) throw invalidArgument('parked', 'give --replay or --purge, not both');
    if (!replay && !purge && chosen.length > 0) throw invalidArgument('parked', `lists all parked events; name events only with --replay or --purge`);
    const json = values['json'] === true;
    const store = await openStore({ create: false });
    try {
      if (!replay && !purge) {
        await list(store, consumer, json, stdout);
        return;
      }
      const positions = chosen.length === 0 ? undefined : await positionsOf(store, consumer, chosen);
      const count = replay ? await replayParked(store, consumer, positions) : await purgeParked(store, consumer, positions);
      const verb = replay ? 'replayed' : 'purged';
      await write(stdout, json ? JSON.stringify({ [verb]: count }) + '\n' : `${count} parked event(s) ${replay ? 'marked for replay' : 'purged'}\n`);
    } finally {
      await store.close();
    }
  },
};

async function list(store: EventStore, consumer: string, json: boolean, stdout: Writable) {
  let after = 0;
  let first = true;
  if (json) await write(stdout, '[');
  for (;;) {
    const page = await parkedEvents(store, consumer, { after, limit: 1000 });
    let chunk = '';
    for (const entry of page) {
      chunk += json ? (first ? '' : ',') + JSON.stringify(entry) : textLine(entry);
      first = false;
    }
    if (chunk !== '') await write(stdout, chunk);
    if (page.length < 1000) break;
    after = page.at(-1)!.position;
  }
  if (json) await write(stdout, ']\n');
}

function textLine(entry: ParkedEntry): string {
  const error = entry.error.split('\n')[0] ?? '';
  return [entry.position, entry.stream, entry.type, `attempts=${entry.attempts}`, entry.replay ? 'replaying' : 'parked', error].join('\t') + '\n';
}

/** Positions from the arguments: positions as given, event ids looked up among the parked events. */
async function positionsOf(store: EventStore, consumer: string, chosen: string[]): Promise<number[]> {
  const ids = new Set(chosen.filter((item) => isEventId(item)));
  const positions: number[] = [];
  for (const item of chosen) {
    if (ids.has(item)) continue;
    if (!/^\d+$/.test(item)) throw invalidArgument('parked', `${JSON.stringify(item)} is neither a position nor an event id`);
    positions.push(Number(item));
  }
  if (ids.size === 0) return positions;
  let after = 0;
  for (;;) {
    const page = await parkedEvents(store, consumer, { after, limit: 1000 });
    for (const entry of page) {
      if (ids.delete(entry.eventId)) positions.push(entry.position);
    }
    if (page.length < 1000 || ids.size === 0) break;
    after = page.at(-1)!.position;
  }
  if (ids.size > 0) throw invalidArgument('parked', `not parked for ${consumer}: ${[...ids].join(', ')}`);
  return positions;
}
