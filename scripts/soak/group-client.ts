import { readSse } from './sse-reader.js';

/** What a group member saw: each position delivered to it and acknowledged, in order. */
export interface GroupMember {
  readonly name: string;
  readonly acked: number[];
  close(): void;
}

const WINDOW = 100;
const ACK_EVERY_MS = 20;
const ACK_BATCH = 50;

/**
 * One member of an HTTP consumer group, as docs/http.md's loop: it opens the
 * member's event stream with a window of events in flight and acknowledges
 * what it handled in batches (`POST …/ack` with `{"acks": [...]}`) every
 * 20 ms or 50 events. The member protocol is kept to this file.
 */
export function joinGroup(base: string, group: string, member: string, query: string): GroupMember {
  const acked: number[] = [];
  const ackUrl = `${base}/consumers/${group}/members/${member}/ack`;
  let closed = false;
  let stream: { close: () => void };
  let handled: number[] = [];
  let sending = false;
  // a refused join (503 OVERLOADED) or a dropped stream joins again: what was unacknowledged comes again
  const connect = () => {
    stream = readSse(
      `${base}/consumers/${group}/members/${member}/events?window=${WINDOW}&${query}`,
      (message) => {
        if (message.event !== 'message' || message.id === undefined) return;
        handled.push(Number(message.id));
        if (handled.length >= ACK_BATCH) void flush();
      },
      () => {
        if (!closed) setTimeout(connect, 1000);
      },
    );
  };
  connect();
  const timer = setInterval(() => void flush(), ACK_EVERY_MS);

  async function flush(): Promise<void> {
    if (sending || handled.length === 0 || closed) return;
    sending = true;
    let batch = handled;
    handled = [];
    try {
      for (let attempt = 0; batch.length > 0 && !closed; attempt++) {
        try {
          const response = await fetch(ackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acks: batch }) });
          const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; positions?: number[] } };
          if (response.ok) {
            acked.push(...batch);
            return;
          }
          if (response.status === 409 && body.error?.code === 'EVENT_NOT_IN_FLIGHT') {
            // no longer ours (the stream rejoined or the partition moved): it comes again, to whoever holds it now
            const gone = new Set(body.error.positions ?? []);
            batch = batch.filter((position) => !gone.has(position));
            continue;
          }
          // an overloaded server says when to come back
          await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100 * Math.min(attempt + 1, 10)));
        }
      }
    } finally {
      sending = false;
    }
  }

  return {
    name: member,
    acked,
    close: () => {
      closed = true;
      clearInterval(timer);
      stream.close();
    },
  };
}
