import { TributaryError } from '../core/errors.js';
import type { ConsumerRecord, ConsumerState, MemberRecord, ParkedEntry, PartitionState } from './consumer-store.js';
import type { LogFilter } from './event-store.js';
import { normalizeFilter } from './options.js';

/** Rows of the consumer tables as both SQL backends select them. */
export interface ConsumerRow {
  name: string;
  filter: string;
  fault: string | null;
  created_at: number;
}

export interface PartitionRow {
  partition: number;
  checkpoint: number;
  owner: string | null;
}

export interface MemberRow {
  member: string;
  state: string;
  position: number;
  lease_until: number;
  joined_at: number;
}

export interface ParkedRow {
  position: number;
  event_id: string;
  stream: string;
  type: string;
  error: string;
  attempts: number;
  parked_at: number;
  replay: number | boolean;
}

/** Longest parking error kept: a stack trace is useful, a megabyte of one is not. */
export const MAX_PARKED_ERROR_LENGTH = 4_000;

export function consumerRecordOf(
  row: ConsumerRow,
  partitions: readonly PartitionRow[],
  members: readonly MemberRow[],
  parked: number,
  now: number,
): ConsumerRecord {
  return {
    name: row.name,
    filter: JSON.parse(row.filter) as LogFilter,
    partitions: partitions.map(partitionOf),
    members: members.map(memberOf),
    parked,
    fault: row.fault,
    createdAt: row.created_at,
    now,
  };
}

export function partitionOf(row: PartitionRow): PartitionState {
  return { partition: row.partition, checkpoint: row.checkpoint, owner: row.owner };
}

export function memberOf(row: MemberRow): MemberRecord {
  return {
    member: row.member,
    state: row.state as ConsumerState,
    position: row.position,
    leaseUntil: row.lease_until,
    joinedAt: row.joined_at,
  };
}

export function parkedEntryOf(row: ParkedRow): ParkedEntry {
  return {
    position: row.position,
    eventId: row.event_id,
    stream: row.stream,
    type: row.type,
    error: row.error,
    attempts: row.attempts,
    parkedAt: row.parked_at,
    replay: row.replay === true || row.replay === 1,
  };
}

/** Refuses to reopen a consumer with another partition count: checkpoints would no longer match streams. */
export function checkPartitionCount(consumer: string, stored: number, requested: number): void {
  if (stored !== requested) {
    throw new TributaryError(
      'CONSUMER_CONFLICT',
      `consumer ${consumer} has ${stored} partitions; it cannot be opened with ${requested}`,
      { consumer, partitions: stored, requested },
    );
  }
}

/**
 * A filter in one canonical text, so two that select the same events compare
 * equal. A filter without tags has no `tags` key, so rows stored before tags
 * existed keep comparing equal to the filters they were stored from.
 */
export function filterKey(filter: LogFilter): string {
  const normalized = normalizeFilter(filter);
  // with tags, a filter's types sit in its one query item
  const item = normalized?.query?.[0];
  const sorted = (list: readonly string[] | undefined) => (list === undefined ? undefined : [...list].sort());
  return JSON.stringify({
    categories: sorted(normalized?.categories),
    types: sorted(normalized?.types ?? item?.types),
    streamPrefix: normalized?.streamPrefix,
    tags: sorted(item?.tags),
  });
}

/** A new consumer's filter as its row stores it; throws as a read would (INVALID_TAG, INVALID_ARGUMENT) rather than store a filter no read accepts. */
export function storedFilter(filter: LogFilter): string {
  normalizeFilter(filter);
  return JSON.stringify(filter);
}

/**
 * Refuses to reopen a consumer with another filter: its checkpoints would move
 * past events the stored filter selects, and those would never be delivered.
 */
export function checkFilter(consumer: string, stored: LogFilter, requested: LogFilter): void {
  if (filterKey(stored) !== filterKey(requested)) {
    throw new TributaryError(
      'CONSUMER_CONFLICT',
      `consumer ${consumer} reads ${filterKey(stored)}; it cannot be opened with ${filterKey(requested)} (remove it, or use another name)`,
      { consumer, filter: stored, requested },
    );
  }
}

export function checkpointLost(consumer: string, member: string, partitions: readonly number[]): TributaryError {
  return new TributaryError(
    'CHECKPOINT_LOST',
    `member ${member} of ${consumer} no longer holds partition(s) ${partitions.join(', ')}`,
    { consumer, member, partitions },
  );
}
