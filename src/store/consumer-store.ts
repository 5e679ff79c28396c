import type { LogFilter } from './event-store.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * Where consumers keep their place: checkpoints per partition, group members
 * with their leases, and parked (dead-lettered) events. Every backend provides
 * one as `store.consumers`; the subscription engine (`src/subscriptions`) is
 * built on these calls alone. Times are milliseconds since the epoch on the
 * backend's clock (the database's own on PostgreSQL, so processes on several
 * machines agree about leases).
 */
export interface ConsumerStore {
  /**
   * Creates the consumer with `partitions` checkpoints at `startAt`, or finds
   * it and clears its recorded fault (it is running again). Errors:
   * CONSUMER_CONFLICT when it exists with another partition count.
   */
  register(registration: ConsumerRegistration): Promise<ConsumerRecord>;

  /** One consumer, or undefined. */
  get(consumer: string): Promise<ConsumerRecord | undefined>;

  /** Every consumer, by name. */
  list(): Promise<ConsumerRecord[]>;

  /** Forgets a consumer: checkpoints, members and parked events. True when it existed. */
  remove(consumer: string): Promise<boolean>;

  /**
   * Moves checkpoints forward (never back). With `owner`, only partitions that
   * member still holds move; the partitions it no longer holds are returned.
   */
  saveCheckpoints(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner?: string): Promise<number[]>;

  /**
   * Renews a member's lease and state, forgets members whose lease ran out,
   * releases their partitions, and returns the group as it is then: the
   * members still alive and who holds each partition, read in the same
   * transaction. A joining member's first beat is its join.
   */
  heartbeat(consumer: string, beat: MemberBeat): Promise<GroupView>;

  /**
   * Takes each of `partitions` that is free, already the member's, or held by
   * a member whose lease ran out. Returns every partition the member holds
   * afterwards. A partition belongs to its owner only while the owner's
   * member lease (renewed by `heartbeat`) lasts.
   */
  claim(consumer: string, member: string, partitions: readonly number[]): Promise<number[]>;

  /** Lets go of partitions (all of the member's when omitted) so another member may take them. */
  release(consumer: string, member: string, partitions?: readonly number[]): Promise<void>;

  /** Removes the member and releases its partitions. */
  leave(consumer: string, member: string): Promise<void>;

  /**
   * Present when the backend can tell members at once that their group
   * changed: `listener` runs soon after a member joins, leaves, is forgotten
   * (lease ran out) or lets go of partitions, in this process or another. It
   * may also run when nothing changed for this group; the member then beats
   * to see. Without it, members see changes at their next heartbeat. Returns
   * a function that stops the listening.
   */
  readonly watchGroup?: (consumer: string, listener: () => void) => () => void;

  /** Records a fault (or clears it with null), shown in status until the consumer runs again. */
  setFault(consumer: string, fault: string | null): Promise<void>;

  /** Parks an event, stamped with the backend's clock; parking it again updates the error and attempts. */
  park(consumer: string, entry: ParkRequest): Promise<void>;

  /** Parked events in position order, a page at a time. */
  listParked(consumer: string, options?: ListParkedOptions): Promise<ParkedEntry[]>;

  /** Asks the running consumer to handle parked events again (all when `positions` is omitted). Returns how many were marked. */
  requestReplay(consumer: string, positions?: readonly number[]): Promise<number>;

  /** Parked events marked for replay, oldest first. */
  replayRequests(consumer: string, limit: number): Promise<ParkedEntry[]>;

  /** Deletes parked events (all when `positions` is omitted). Returns how many were deleted. */
  removeParked(consumer: string, positions?: readonly number[]): Promise<number>;

  /**
   * Present when the backend can run a handler's own SQL and the checkpoint in
   * one transaction, making the handler's effects exactly once. Returns the
   * work's value, or throws CHECKPOINT_LOST (rolling back) when `owner` no
   * longer holds a partition being moved. A write through the store from
   * inside `work` fails with TRANSACTION_REENTRY.
   */
  readonly transact?: <T>(
    work: (tx: SqlTransaction) => Promise<T>,
    checkpoint: CheckpointMove,
  ) => Promise<T>;
}

export interface ListParkedOptions {
  /** Parked events after this position; default 0. */
  after?: number;
  /** Most entries to return; default 100, at most 10,000. */
  limit?: number;
}

/** The checkpoints a `transact` call moves with its work; with `owner`, only while that member holds their partitions. */
export interface CheckpointMove {
  consumer: string;
  checkpoints: readonly PartitionCheckpoint[];
  owner?: string;
}

export interface ConsumerRegistration {
  name: string;
  /** 1 for a lone consumer; the group's partition count otherwise. */
  partitions: number;
  /** The checkpoint a new consumer starts from. */
  startAt: number;
  filter: LogFilter;
}

export interface PartitionState {
  partition: number;
  /** The last position whose events this partition has fully handled. */
  checkpoint: number;
  owner: string | null;
}

export interface ConsumerRecord {
  name: string;
  filter: LogFilter;
  partitions: PartitionState[];
  members: MemberRecord[];
  parked: number;
  fault: string | null;
  createdAt: number;
  /** The backend's clock when the record was read: judge `leaseUntil` against it, never against the local clock. */
  now: number;
}

export interface PartitionCheckpoint {
  partition: number;
  position: number;
}

export type ConsumerState = 'catching-up' | 'live' | 'stopped' | 'faulted';

export interface MemberBeat {
  member: string;
  state: ConsumerState;
  /** The last position the member has read. */
  position: number;
  leaseMs: number;
}

export interface MemberRecord {
  member: string;
  state: ConsumerState;
  position: number;
  leaseUntil: number;
  joinedAt: number;
}

/** A consumer group as a heartbeat leaves it. */
export interface GroupView {
  /** The members still alive, by name. */
  members: MemberRecord[];
  /** Who holds each partition (null when free), indexed by partition. */
  owners: (string | null)[];
  /** The backend's clock when the beat was stamped: judge `leaseUntil` against it, never against the local clock. */
  now: number;
}

export type ParkRequest = Omit<ParkedEntry, 'parkedAt' | 'replay'>;

export interface ParkedEntry {
  position: number;
  eventId: string;
  stream: string;
  type: string;
  error: string;
  attempts: number;
  parkedAt: number;
  /** True while the entry waits for the consumer to handle it again. */
  replay: boolean;
}

/**
 * A handler's view of the backend's transaction. Placeholders follow the
 * dialect: `?` on SQLite, `$1` on PostgreSQL; `dialect.placeholders` turns
 * `?` into what the database wants.
 *
 * ```ts
 * await tx.execute(tx.dialect.placeholders('INSERT INTO balances (id, amount) VALUES (?, ?)'), [id, amount]);
 * ```
 */
export interface SqlTransaction {
  readonly dialect: SqlDialect;
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}
