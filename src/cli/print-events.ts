import type { Writable } from 'node:stream';
import type { RecordedEvent } from '../core/event.js';
import { write } from './output.js';

const PAGE = 1000;

/**
 * Pages through a read and prints its events: NDJSON by default, or one
 * `{"events":[...],"next":...}` document with `json`. Stops after `limit`
 * events when one is given, and then `next` says where to go on.
 */
export async function printEvents(
  out: Writable,
  json: boolean,
  limit: number | undefined,
  start: number | undefined,
  readPage: (cursor: number | undefined, pageSize: number) => Promise<{ events: RecordedEvent[]; next: number | null }>,
): Promise<void> {
  let remaining = limit ?? Infinity;
  let cursor: number | null | undefined = start;
  let printed = 0;
  if (json) await write(out, '{"events":[');
  while (remaining > 0 && cursor !== null) {
    const page = await readPage(cursor, Math.min(remaining, PAGE));
    let chunk = '';
    for (const event of page.events) {
      chunk += json ? (printed++ === 0 ? '' : ',') + event.toJsonText() : event.toJsonText() + '\n';
    }
    if (chunk !== '') await write(out, chunk);
    remaining -= page.events.length;
    cursor = page.next;
  }
  if (json) await write(out, `],"next":${cursor ?? null}}\n`);
}
