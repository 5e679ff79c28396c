import type {
  ConsumerRecord,
  ConsumerRegistration,
  ConsumerStore,
  GroupView,
  MemberBeat,
  ParkedEntry,
  ParkRequest,
  PartitionCheckpoint,
  SqlTransaction,
} from '../../store/consumer-store.js';
import {
  MAX_PARKED_ERROR_LENGTH,
  checkFilter,
  checkPartitionCount,
  checkpointLost,
  consumerRecordOf,
  memberOf,
  parkedEntryOf,
  storedFilter,
  type ConsumerRow,
  type MemberRow,
  type ParkedRow,
  type PartitionRow,
} from '../../store/consumer-rows.js';
import type { LogFilter } from '../../store/event-store.js';
import type { SqliteConnection, StatementSource } from './sqlite-connection.js';
import type { GroupSignal } from './sqlite-signal.js';

// checkpoints, leases and members: losing the newest to a power loss means handling events again, which at-least-once allows
const BOOKKEEPING = { durable: false };

const LIVE_MEMBERS = 'SELECT member FROM consumer_members WHERE consumer = :consumer AND lease_until >= :now';

/**
 * The consumer tables in the store's own SQLite file. Writes join the store's
 * group commit, so a checkpoint shares its fsync with the appends around it.
 */
export class SqliteConsumerStore implements ConsumerStore {
  readonly #connection: SqliteConnection;
  readonly #clock: () => number;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #groups: GroupSignal;

  /** `groups` tells members in every process on the file that a group changed. */
  constructor(connection: SqliteConnection, clock: () => number, groups: GroupSignal) {
    this.#connection = connection;
    this.#clock = clock;
    this.#sql = prepare(connection);
    this.#groups = groups;
  }

  register(registration: ConsumerRegistration): Promise<ConsumerRecord> {
    const { name, partitions, startAt, filter } = registration;
    return this.#connection.write('store.consumers.register', () => {
      const existing = this.#sql.consumer.get(name) as ConsumerRow | undefined;
      if (existing === undefined) {
        this.#sql.insertConsumer.run(name, storedFilter(filter), this.#clock());
        for (let partition = 0; partition < partitions; partition++) this.#sql.insertPartition.run(name, partition, startAt);
      } else {
        checkPartitionCount(name, this.#sql.partitions.all(name).length, partitions);
        checkFilter(name, JSON.parse(existing.filter) as LogFilter, filter);
        this.#sql.clearFault.run(name);
      }
      return this.#record(this.#sql.consumer.get(name) as ConsumerRow);
    });
  }

  async get(consumer: string): Promise<ConsumerRecord | undefined> {
    return this.#connection.read(() => {
      const row = this.#sql.consumer.get(consumer) as ConsumerRow | undefined;
      return row === undefined ? undefined : this.#record(row);
    });
  }

  async list(): Promise<ConsumerRecord[]> {
    return this.#connection.read(() => (this.#sql.consumers.all() as ConsumerRow[]).map((row) => this.#record(row)));
  }

  remove(consumer: string): Promise<boolean> {
    return this.#connection.write('store.consumers.remove', () => {
      const existed = this.#sql.consumer.get(consumer) !== undefined;
      for (const statement of this.#sql.removeConsumer) statement.run(consumer);
      return existed;
    });
  }

  saveCheckpoints(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner?: string): Promise<number[]> {
    return this.#connection.write('store.consumers.saveCheckpoints', () => this.#moveCheckpoints(consumer, checkpoints, owner), BOOKKEEPING);
  }

  async heartbeat(consumer: string, beat: MemberBeat): Promise<GroupView> {
    const { view, changed } = await this.#connection.write('store.consumers.heartbeat', () => {
      const now = this.#clock();
      const joining = this.#sql.member.get(consumer, beat.member) === undefined;
      this.#sql.upsertMember.run({ consumer, member: beat.member, state: beat.state, position: beat.position, until: now + beat.leaseMs, now });
      const forgotten = this.#sql.dropExpiredMembers.run({ consumer, now }).changes;
      this.#sql.releaseOrphans.run({ consumer, now });
      const members = (this.#sql.members.all(consumer) as MemberRow[]).map(memberOf);
      const view = { members, owners: (this.#sql.partitions.all(consumer) as PartitionRow[]).map((row) => row.owner), now };
      return { view, changed: joining || forgotten > 0 };
    }, BOOKKEEPING);
    if (changed) this.#groups.notify();
    return view;
  }

  claim(consumer: string, member: string, partitions: readonly number[]): Promise<number[]> {
    return this.#connection.write('store.consumers.claim', () => {
      const now = this.#clock();
      for (const partition of partitions) this.#sql.claim.run({ consumer, member, partition, now });
      return (this.#sql.owned.all(consumer, member) as { partition: number }[]).map((row) => row.partition);
    }, BOOKKEEPING);
  }

  async release(consumer: string, member: string, partitions?: readonly number[]): Promise<void> {
    const released = await this.#connection.write('store.consumers.release', () => {
      if (partitions === undefined) return this.#sql.releaseAll.run(consumer, member).changes;
      let changes = 0;
      for (const partition of partitions) changes += this.#sql.releaseOne.run(consumer, member, partition).changes;
      return changes;
    }, BOOKKEEPING);
    if (released > 0) this.#groups.notify();
  }

  async leave(consumer: string, member: string): Promise<void> {
    const left = await this.#connection.write('store.consumers.leave', () => {
      return this.#sql.deleteMember.run(consumer, member).changes + this.#sql.releaseAll.run(consumer, member).changes;
    }, BOOKKEEPING);
    if (left > 0) this.#groups.notify();
  }

  readonly watchGroup = (_consumer: string, listener: () => void): (() => void) => this.#groups.subscribe(listener);

  setFault(consumer: string, fault: string | null): Promise<void> {
    return this.#connection.write('store.consumers.setFault', () => void this.#sql.setFault.run(fault, consumer));
  }

  park(consumer: string, entry: ParkRequest): Promise<void> {
    return this.#connection.write('store.consumers.park', () => {
      this.#sql.park.run({
        consumer,
        position: entry.position,
        eventId: entry.eventId,
        stream: entry.stream,
        type: entry.type,
        error: entry.error.slice(0, MAX_PARKED_ERROR_LENGTH),
        attempts: entry.attempts,
        parkedAt: this.#clock(),
      });
    });
  }

  async listParked(consumer: string, options: { after?: number; limit?: number } = {}): Promise<ParkedEntry[]> {
    return this.#connection.read(() => (this.#sql.parked.all(consumer, options.after ?? 0, options.limit ?? 100) as ParkedRow[]).map(parkedEntryOf));
  }

  requestReplay(consumer: string, positions?: readonly number[]): Promise<number> {
    return this.#connection.write('store.consumers.requestReplay', () => {
      if (positions === undefined) return this.#sql.replayAll.run(consumer).changes;
      let marked = 0;
      for (const position of positions) marked += this.#sql.replayOne.run(consumer, position).changes;
      return marked;
    });
  }

  async replayRequests(consumer: string, limit: number): Promise<ParkedEntry[]> {
    return this.#connection.read(() => (this.#sql.replayRequests.all(consumer, limit) as ParkedRow[]).map(parkedEntryOf));
  }

  removeParked(consumer: string, positions?: readonly number[]): Promise<number> {
    return this.#connection.write('store.consumers.removeParked', () => {
      if (positions === undefined) return this.#sql.purge.run(consumer).changes;
      let removed = 0;
      for (const position of positions) removed += this.#sql.unpark.run(consumer, position).changes;
      return removed;
    });
  }

  readonly transact = <T>(
    work: (tx: SqlTransaction) => Promise<T>,
    checkpoint: { consumer: string; checkpoints: readonly PartitionCheckpoint[]; owner?: string },
  ): Promise<T> =>
    this.#connection.transaction('store.consumers.transact', async (tx) => {
      const value = await work(tx);
      const lost = this.#moveCheckpoints(checkpoint.consumer, checkpoint.checkpoints, checkpoint.owner);
      if (lost.length > 0) throw checkpointLost(checkpoint.consumer, checkpoint.owner ?? '', lost);
      return value;
    });

  #moveCheckpoints(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner: string | undefined): number[] {
    const lost: number[] = [];
    for (const { partition, position } of checkpoints) {
      const changed = this.#sql.moveCheckpoint.run({ consumer, partition, position, owner: owner ?? null }).changes;
      if (changed === 0 && owner !== undefined) lost.push(partition);
    }
    return lost;
  }

  #record(row: ConsumerRow): ConsumerRecord {
    const parked = (this.#sql.parkedCount.get(row.name) as { n: number }).n;
    const partitions = this.#sql.partitions.all(row.name) as PartitionRow[];
    return consumerRecordOf(row, partitions, this.#sql.members.all(row.name) as MemberRow[], parked, this.#clock());
  }
}

function prepare(db: StatementSource) {
  return {
    consumer: db.prepare('SELECT name, filter, fault, created_at FROM consumers WHERE name = ?'),
    consumers: db.prepare('SELECT name, filter, fault, created_at FROM consumers ORDER BY name'),
    insertConsumer: db.prepare('INSERT INTO consumers (name, filter, created_at) VALUES (?, ?, ?)'),
    clearFault: db.prepare('UPDATE consumers SET fault = NULL WHERE name = ?'),
    setFault: db.prepare('UPDATE consumers SET fault = ? WHERE name = ?'),
    removeConsumer: [
      db.prepare('DELETE FROM consumer_partitions WHERE consumer = ?'),
      db.prepare('DELETE FROM consumer_members WHERE consumer = ?'),
      db.prepare('DELETE FROM parked_events WHERE consumer = ?'),
      db.prepare('DELETE FROM consumers WHERE name = ?'),
    ],
    partitions: db.prepare('SELECT partition, checkpoint, owner FROM consumer_partitions WHERE consumer = ? ORDER BY partition'),
    insertPartition: db.prepare('INSERT INTO consumer_partitions (consumer, partition, checkpoint) VALUES (?, ?, ?)'),
    moveCheckpoint: db.prepare(
      `UPDATE consumer_partitions SET checkpoint = max(checkpoint, :position)
       WHERE consumer = :consumer AND partition = :partition AND (:owner IS NULL OR owner = :owner)`,
    ),
    member: db.prepare('SELECT 1 FROM consumer_members WHERE consumer = ? AND member = ?'),
    members: db.prepare(
      'SELECT member, state, position, lease_until, joined_at FROM consumer_members WHERE consumer = ? ORDER BY member',
    ),
    upsertMember: db.prepare(
      `INSERT INTO consumer_members (consumer, member, state, position, lease_until, joined_at)
       VALUES (:consumer, :member, :state, :position, :until, :now)
       ON CONFLICT (consumer, member) DO UPDATE SET state = excluded.state, position = excluded.position, lease_until = excluded.lease_until`,
    ),
    dropExpiredMembers: db.prepare('DELETE FROM consumer_members WHERE consumer = :consumer AND lease_until < :now'),
    releaseOrphans: db.prepare(
      `UPDATE consumer_partitions SET owner = NULL
       WHERE consumer = :consumer AND owner IS NOT NULL AND owner NOT IN (${LIVE_MEMBERS})`,
    ),
    claim: db.prepare(
      `UPDATE consumer_partitions SET owner = :member
       WHERE consumer = :consumer AND partition = :partition
         AND (owner IS NULL OR owner = :member OR owner NOT IN (${LIVE_MEMBERS}))`,
    ),
    owned: db.prepare('SELECT partition FROM consumer_partitions WHERE consumer = ? AND owner = ? ORDER BY partition'),
    releaseAll: db.prepare('UPDATE consumer_partitions SET owner = NULL WHERE consumer = ? AND owner = ?'),
    releaseOne: db.prepare('UPDATE consumer_partitions SET owner = NULL WHERE consumer = ? AND owner = ? AND partition = ?'),
    deleteMember: db.prepare('DELETE FROM consumer_members WHERE consumer = ? AND member = ?'),
    park: db.prepare(
      `INSERT INTO parked_events (consumer, position, event_id, stream, type, error, attempts, parked_at)
       VALUES (:consumer, :position, :eventId, :stream, :type, :error, :attempts, :parkedAt)
       ON CONFLICT (consumer, position) DO UPDATE SET error = excluded.error, attempts = excluded.attempts,
         parked_at = excluded.parked_at, replay = 0`,
    ),
    parkedCount: db.prepare('SELECT count(*) AS n FROM parked_events WHERE consumer = ?'),
    parked: db.prepare(
      `SELECT position, event_id, stream, type, error, attempts, parked_at, replay FROM parked_events
       WHERE consumer = ? AND position > ? ORDER BY position LIMIT ?`,
    ),
    replayAll: db.prepare('UPDATE parked_events SET replay = 1 WHERE consumer = ? AND replay = 0'),
    replayOne: db.prepare('UPDATE parked_events SET replay = 1 WHERE consumer = ? AND position = ? AND replay = 0'),
    replayRequests: db.prepare(
      `SELECT position, event_id, stream, type, error, attempts, parked_at, replay FROM parked_events
       WHERE consumer = ? AND replay = 1 ORDER BY position LIMIT ?`,
    ),
    purge: db.prepare('DELETE FROM parked_events WHERE consumer = ?'),
    unpark: db.prepare('DELETE FROM parked_events WHERE consumer = ? AND position = ?'),
  };
}
