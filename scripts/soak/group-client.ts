import { readSse } from './sse-reader.js';

/** What a group member saw: each position delivered to it and acknowledged, in order. */
export interface GroupMember {
  readonly name: string;
  readonly acked: number[];
  close(): void;
}

/**
 * One member of an HTTP consumer group: it opens the member's event stream and
 * acknowledges each event with `POST …/ack` once handled. The member protocol
 * is kept to this file, so that a change of it (windows, batched acks) changes
 * only this client.
 */
export function joinGroup(base: string, group: string, member: string, query: string): GroupMember {
  const acked: number[] = [];
  const ackUrl = `${base}/consumers/${group}/members/${member}/ack`;
  let closed = false;
  let stream: { close: () => void };
  // a refused join (503 OVERLOADED) or a dropped stream joins again: what was unacknowledged comes again
  const connect = () => {
    stream = readSse(
      `${base}/consumers/${group}/members/${member}/events?${query}`,
      (message) => {
        if (message.event !== 'message' || message.id === undefined) return;
        void acknowledge(Number(message.id));
      },
      () => {
        if (!closed) setTimeout(connect, 1000);
      },
    );
  };
  connect();
  async function acknowledge(position: number): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      try {
        const response = await fetch(ackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ position }) });
        await response.arrayBuffer();
        if (response.ok) {
          acked.push(position);
          return;
        }
        // an overloaded server says when to come back
        await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100 * Math.min(attempt + 1, 10)));
      }
    }
  }
  return {
    name: member,
    acked,
    close: () => {
      closed = true;
      stream.close();
    },
  };
}
