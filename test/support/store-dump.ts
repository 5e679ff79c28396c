import type { EventStore, StreamInfo, StreamMetadata } from '../../src/store/event-store.js';
import type { CopiedStream } from '../../src/store/log-copy.js';
import type { EventRow } from '../../src/store/sql-rows.js';

/** Everything a reader can tell about a store's log: what an exact copy must reproduce. */
export interface StoreDump {
  head: number;
  /** Every stored event row, in position order, text as stored. */
  events: EventRow[];
  /** Every stream a listing shows, with its info and metadata as the store answers them. */
  streams: { info: StreamInfo; metadata: StreamMetadata }[];
  /** Every stream row that ever changed other than by an append, as a copy carries it. */
  changed: CopiedStream[];
}

/** Reads all of `store` through its public reads and its copy source. */
export async function dumpStore(store: EventStore, until?: number): Promise<StoreDump> {
  const source = store.copySource!;
  const { head } = await source.copyHead();
  const last = until ?? head;
  const events: EventRow[] = [];
  for (let after = 0; ; ) {
    const page = await source.readCopyEvents(after, last, 5000);
    events.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1]![0];
  }
  const streams: StoreDump['streams'] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listStreams({ limit: 1000, ...(after === undefined ? {} : { after }) });
    for (const { stream } of page.streams) {
      streams.push({ info: await store.streamInfo(stream), metadata: await store.getStreamMetadata(stream) });
    }
    if (page.next === null) break;
    after = page.next;
  }
  const changed: CopiedStream[] = [];
  for (let after = 0; ; ) {
    const page = await source.readStreamChanges(after, 1000);
    changed.push(...page);
    if (page.length < 1000) break;
    after = page[page.length - 1]!.changed;
  }
  return { head: last, events, streams, changed };
}
