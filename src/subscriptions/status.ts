import type { ConsumerRecord, ConsumerState } from '../store/consumer-store.js';
import type { EventStore, LogFilter } from '../store/event-store.js';

/** Where a consumer stands, as any process reading the store sees it. */
export interface ConsumerStatus {
  name: string;
  filter: LogFilter;
  /** The lowest checkpoint of its partitions: everything up to here is handled. */
  checkpoint: number;
  head: number;
  /** Positions between the checkpoint and the head (events outside the filter count too). */
  lagEvents: number;
  /** Age of the oldest event the consumer has still to handle, in seconds; 0 when none. */
  lagSeconds: number;
  state: ConsumerState;
  parked: number;
  fault: string | null;
  partitions: number;
  members: MemberStatus[];
}

export interface MemberStatus {
  member: string;
  state: ConsumerState;
  /** The last position the member reported reading. */
  position: number;
  /** The partitions it holds. */
  partitions: number[];
}

// a filtered consumer's oldest unhandled event is looked for in at most this many scan windows
const MAX_LAG_PAGES = 4;

/**
 * The status of every consumer (or of those named).
 *
 * ```ts
 * for (const status of await consumerStatus(store)) console.log(status.name, status.lagEvents);
 * ```
 */
export async function consumerStatus(store: EventStore, names?: readonly string[]): Promise<ConsumerStatus[]> {
  const records = await store.consumers.list();
  const head = await store.headPosition();
  const statuses: ConsumerStatus[] = [];
  for (const record of records) {
    if (names !== undefined && !names.includes(record.name)) continue;
    statuses.push(await statusOf(store, record, head));
  }
  return statuses;
}

async function statusOf(store: EventStore, record: ConsumerRecord, head: number): Promise<ConsumerStatus> {
  const checkpoint = Math.min(...record.partitions.map((partition) => partition.checkpoint));
  const members = record.members
    // leases are stamped by the store's clock: judged by this process's, a skewed clock would call live members gone
    .filter((member) => member.leaseUntil >= record.now)
    .map((member) => ({
      member: member.member,
      state: member.state,
      position: member.position,
      // a lone consumer's members never claim its one partition: each reads all of it
      partitions:
        record.partitions.length === 1
          ? [0]
          : record.partitions.filter((partition) => partition.owner === member.member).map((partition) => partition.partition),
    }));
  return {
    name: record.name,
    filter: record.filter,
    checkpoint,
    head,
    lagEvents: Math.max(0, head - checkpoint),
    // recordedAt is stamped by the appending process's clock, not the store's
    lagSeconds: await oldestUnhandledAge(store, record.filter, checkpoint, head, Date.now()),
    state: stateOf(members, record.fault),
    parked: record.parked,
    fault: record.fault,
    partitions: record.partitions.length,
    members,
  };
}

function stateOf(members: readonly MemberStatus[], fault: string | null): ConsumerState {
  if (members.length === 0) return fault === null ? 'stopped' : 'faulted';
  return members.some((member) => member.state === 'catching-up') ? 'catching-up' : 'live';
}

async function oldestUnhandledAge(store: EventStore, filter: LogFilter, checkpoint: number, head: number, now: number): Promise<number> {
  let after = checkpoint;
  for (let page = 0; page < MAX_LAG_PAGES && after < head; page++) {
    const read = await store.readAll({ ...filter, after, limit: 1 });
    const oldest = read.events[0];
    if (oldest !== undefined) return Math.max(0, (now - oldest.recordedAtMillis) / 1000);
    if (read.next === null) return 0;
    after = read.next;
  }
  return 0;
}
