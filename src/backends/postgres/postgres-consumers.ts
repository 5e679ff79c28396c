import type pg from 'pg';
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
import type { GroupWatchers } from '../../store/group-watchers.js';
import type { TransactionScope } from '../../store/transaction-scope.js';
import { guarded } from './postgres-errors.js';
import { GROUP_PAYLOAD } from './postgres-listener.js';
import { NOW_MS } from './postgres-statements.js';
import { PostgresTransaction, inTransaction } from './postgres-transaction.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** How group changes travel: NOTIFY on the store's channel, heard by each handle's listening connection. */
export interface GroupListening {
  channel: string;
  /** Starts the handle's listening connection (once). */
  start(): Promise<void>;
  watchers: GroupWatchers;
}

// a notification's payload holds under 8000 bytes: a longer name is not signalled, and its members see changes at their heartbeat
const MAX_SIGNALLED_NAME = 1_000;

/**
 * The consumer tables in the store's schema. They take no log lock: moving a
 * checkpoint never waits behind appends.
 */
export class PostgresConsumerStore implements ConsumerStore {
  readonly #pool: pg.Pool;
  readonly #s: string;
  readonly #isClosed: () => boolean;
  readonly #scope: TransactionScope;
  readonly #listening: GroupListening;

  /** `scope` knows the handle's open transactions: writes from inside one are refused, as on every backend. */
  constructor(pool: pg.Pool, schema: string, isClosed: () => boolean, scope: TransactionScope, listening: GroupListening) {
    this.#pool = pool;
    this.#s = schema;
    this.#isClosed = isClosed;
    this.#scope = scope;
    this.#listening = listening;
  }

  register(registration: ConsumerRegistration): Promise<ConsumerRecord> {
    const { name, partitions, startAt, filter } = registration;
    return this.#transaction('store.consumers.register', async (client) => {
      const inserted = await client.query(
        `INSERT INTO ${this.#s}.consumers (name, filter, created_at) VALUES ($1, $2, ${NOW_MS}) ON CONFLICT (name) DO NOTHING`,
        [name, storedFilter(filter)],
      );
      if (inserted.rowCount === 1) {
        await client.query(
          `INSERT INTO ${this.#s}.consumer_partitions (consumer, partition, checkpoint)
           SELECT $1, p, $2 FROM generate_series(0, $3 - 1) AS p`,
          [name, startAt, partitions],
        );
      } else {
        const count = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${this.#s}.consumer_partitions WHERE consumer = $1`,
          [name],
        );
        checkPartitionCount(name, count.rows[0]!.n, partitions);
        const stored = await client.query<{ filter: string }>(`SELECT filter FROM ${this.#s}.consumers WHERE name = $1`, [name]);
        checkFilter(name, JSON.parse(stored.rows[0]!.filter) as LogFilter, filter);
        await client.query(`UPDATE ${this.#s}.consumers SET fault = NULL WHERE name = $1`, [name]);
      }
      return (await this.#records(client, name))[0]!;
    });
  }

  async get(consumer: string): Promise<ConsumerRecord | undefined> {
    return this.#run(async (client) => (await this.#records(client, consumer))[0]);
  }

  async list(): Promise<ConsumerRecord[]> {
    return this.#run((client) => this.#records(client));
  }

  remove(consumer: string): Promise<boolean> {
    return this.#transaction('store.consumers.remove', async (client) => {
      for (const table of ['consumer_partitions', 'consumer_members', 'parked_events']) {
        await client.query(`DELETE FROM ${this.#s}.${table} WHERE consumer = $1`, [consumer]);
      }
      const removed = await client.query(`DELETE FROM ${this.#s}.consumers WHERE name = $1`, [consumer]);
      return removed.rowCount === 1;
    });
  }

  saveCheckpoints(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner?: string): Promise<number[]> {
    return this.#write('store.consumers.saveCheckpoints', (client) => this.#moveCheckpoints(client, consumer, checkpoints, owner));
  }

  heartbeat(consumer: string, beat: MemberBeat): Promise<GroupView> {
    return this.#transaction('store.consumers.heartbeat', async (client) => {
      // xmax is 0 on a row the statement inserted, not on one it updated: the member is new
      const upserted = await client.query<{ joined: boolean }>(
        `INSERT INTO ${this.#s}.consumer_members (consumer, member, state, position, lease_until, joined_at)
         VALUES ($1, $2, $3, $4, ${NOW_MS} + $5, ${NOW_MS})
         ON CONFLICT (consumer, member) DO UPDATE SET state = excluded.state, position = excluded.position,
           lease_until = excluded.lease_until
         RETURNING xmax = 0 AS joined`,
        [consumer, beat.member, beat.state, beat.position, beat.leaseMs],
      );
      const forgotten = await client.query(`DELETE FROM ${this.#s}.consumer_members WHERE consumer = $1 AND lease_until < ${NOW_MS}`, [consumer]);
      if (upserted.rows[0]?.joined === true || (forgotten.rowCount ?? 0) > 0) await this.#signal(client, consumer);
      await client.query(
        `UPDATE ${this.#s}.consumer_partitions SET owner = NULL
         WHERE consumer = $1 AND owner IS NOT NULL AND owner NOT IN (${this.#liveMembers('$1')})`,
        [consumer],
      );
      const { members, now } = await this.#members(client, consumer);
      const owners = await client.query<{ owner: string | null }>(
        `SELECT owner FROM ${this.#s}.consumer_partitions WHERE consumer = $1 ORDER BY partition`,
        [consumer],
      );
      return { members: members.map(memberOf), owners: owners.rows.map((row) => row.owner), now };
    });
  }

  claim(consumer: string, member: string, partitions: readonly number[]): Promise<number[]> {
    return this.#write('store.consumers.claim', async (client) => {
      // one statement: the lease check and the take happen under the same row locks
      await client.query(
        `UPDATE ${this.#s}.consumer_partitions SET owner = $2
         WHERE consumer = $1 AND partition = ANY($3::int[])
           AND (owner IS NULL OR owner = $2 OR owner NOT IN (${this.#liveMembers('$1')}))`,
        [consumer, member, partitions],
      );
      const owned = await client.query<{ partition: number }>(
        `SELECT partition FROM ${this.#s}.consumer_partitions WHERE consumer = $1 AND owner = $2 ORDER BY partition`,
        [consumer, member],
      );
      return owned.rows.map((row) => row.partition);
    });
  }

  release(consumer: string, member: string, partitions?: readonly number[]): Promise<void> {
    return this.#transaction('store.consumers.release', async (client) => {
      const released = await client.query(
        `UPDATE ${this.#s}.consumer_partitions SET owner = NULL
         WHERE consumer = $1 AND owner = $2 AND ($3::int[] IS NULL OR partition = ANY($3::int[]))`,
        [consumer, member, partitions ?? null],
      );
      if ((released.rowCount ?? 0) > 0) await this.#signal(client, consumer);
    });
  }

  leave(consumer: string, member: string): Promise<void> {
    return this.#transaction('store.consumers.leave', async (client) => {
      const left = await client.query(`DELETE FROM ${this.#s}.consumer_members WHERE consumer = $1 AND member = $2`, [consumer, member]);
      const released = await client.query(`UPDATE ${this.#s}.consumer_partitions SET owner = NULL WHERE consumer = $1 AND owner = $2`, [consumer, member]);
      if ((left.rowCount ?? 0) + (released.rowCount ?? 0) > 0) await this.#signal(client, consumer);
    });
  }

  readonly watchGroup = (consumer: string, listener: () => void): (() => void) => {
    const unwatch = this.#listening.watchers.watch(consumer, listener);
    // a listener that cannot connect leaves the member to its heartbeat; waiting for events reports the failure
    this.#listening.start().catch(() => undefined);
    return unwatch;
  };

  setFault(consumer: string, fault: string | null): Promise<void> {
    return this.#write('store.consumers.setFault', async (client) => {
      await client.query(`UPDATE ${this.#s}.consumers SET fault = $2 WHERE name = $1`, [consumer, fault]);
    });
  }

  park(consumer: string, entry: ParkRequest): Promise<void> {
    return this.#write('store.consumers.park', async (client) => {
      await client.query(
        `INSERT INTO ${this.#s}.parked_events (consumer, position, event_id, stream, type, error, attempts, parked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${NOW_MS})
         ON CONFLICT (consumer, position) DO UPDATE SET error = excluded.error, attempts = excluded.attempts,
           parked_at = excluded.parked_at, replay = false`,
        [consumer, entry.position, entry.eventId, entry.stream, entry.type, entry.error.slice(0, MAX_PARKED_ERROR_LENGTH), entry.attempts],
      );
    });
  }

  async listParked(consumer: string, options: { after?: number; limit?: number } = {}): Promise<ParkedEntry[]> {
    return this.#run(async (client) => {
      const rows = await client.query<ParkedRow>(
        `${this.#parkedColumns()} WHERE consumer = $1 AND position > $2 ORDER BY position LIMIT $3`,
        [consumer, options.after ?? 0, options.limit ?? 100],
      );
      return rows.rows.map(parkedEntryOf);
    });
  }

  requestReplay(consumer: string, positions?: readonly number[]): Promise<number> {
    return this.#write('store.consumers.requestReplay', async (client) => {
      const marked = await client.query(
        `UPDATE ${this.#s}.parked_events SET replay = true
         WHERE consumer = $1 AND NOT replay AND ($2::bigint[] IS NULL OR position = ANY($2::bigint[]))`,
        [consumer, positions ?? null],
      );
      return marked.rowCount ?? 0;
    });
  }

  async replayRequests(consumer: string, limit: number): Promise<ParkedEntry[]> {
    return this.#run(async (client) => {
      const rows = await client.query<ParkedRow>(`${this.#parkedColumns()} WHERE consumer = $1 AND replay ORDER BY position LIMIT $2`, [
        consumer,
        limit,
      ]);
      return rows.rows.map(parkedEntryOf);
    });
  }

  removeParked(consumer: string, positions?: readonly number[]): Promise<number> {
    return this.#write('store.consumers.removeParked', async (client) => {
      const removed = await client.query(
        `DELETE FROM ${this.#s}.parked_events WHERE consumer = $1 AND ($2::bigint[] IS NULL OR position = ANY($2::bigint[]))`,
        [consumer, positions ?? null],
      );
      return removed.rowCount ?? 0;
    });
  }

  readonly transact = <T>(
    work: (tx: SqlTransaction) => Promise<T>,
    checkpoint: { consumer: string; checkpoints: readonly PartitionCheckpoint[]; owner?: string },
  ): Promise<T> =>
    this.#transaction('store.consumers.transact', async (client) => {
      const value = await this.#scope.enter(() => work(new PostgresTransaction(client)));
      const lost = await this.#moveCheckpoints(client, checkpoint.consumer, checkpoint.checkpoints, checkpoint.owner);
      if (lost.length > 0) throw checkpointLost(checkpoint.consumer, checkpoint.owner ?? '', lost);
      return value;
    });

  async #moveCheckpoints(
    client: Queryable,
    consumer: string,
    checkpoints: readonly PartitionCheckpoint[],
    owner: string | undefined,
  ): Promise<number[]> {
    if (checkpoints.length === 0) return [];
    const moved = await client.query<{ partition: number }>(
      `UPDATE ${this.#s}.consumer_partitions AS p SET checkpoint = greatest(p.checkpoint, c.position)
       FROM unnest($2::int[], $3::bigint[]) AS c(partition, position)
       WHERE p.consumer = $1 AND p.partition = c.partition AND ($4::text IS NULL OR p.owner = $4)
       RETURNING p.partition`,
      [consumer, checkpoints.map((c) => c.partition), checkpoints.map((c) => c.position), owner ?? null],
    );
    if (owner === undefined) return [];
    const kept = new Set(moved.rows.map((row) => row.partition));
    return checkpoints.map((c) => c.partition).filter((partition) => !kept.has(partition));
  }

  /** Tells every handle listening on the store's channel, at commit, that the group changed. */
  async #signal(client: Queryable, consumer: string): Promise<void> {
    if (consumer.length > MAX_SIGNALLED_NAME) return;
    await client.query('SELECT pg_notify($1, $2)', [this.#listening.channel, GROUP_PAYLOAD + consumer]);
  }

  #liveMembers(consumerParameter: string): string {
    return `SELECT member FROM ${this.#s}.consumer_members WHERE consumer = ${consumerParameter} AND lease_until >= ${NOW_MS}`;
  }

  #parkedColumns(): string {
    return `SELECT position, event_id::text AS event_id, stream, type, error, attempts, parked_at, replay FROM ${this.#s}.parked_events`;
  }

  /** The members, and the database's clock read by the same query (one row with no member when there is none). */
  async #members(client: Queryable, consumer: string): Promise<{ members: MemberRow[]; now: number }> {
    const rows = await client.query<Omit<MemberRow, 'member'> & { member: string | null; now: number }>(
      `SELECT clock.now, m.member, m.state, m.position, m.lease_until, m.joined_at
       FROM (SELECT ${NOW_MS} AS now) AS clock
       LEFT JOIN ${this.#s}.consumer_members AS m ON m.consumer = $1
       ORDER BY m.member`,
      [consumer],
    );
    const members = rows.rows.filter((row): row is MemberRow & { now: number } => row.member !== null);
    return { members, now: rows.rows[0]!.now };
  }

  async #records(client: Queryable, name?: string): Promise<ConsumerRecord[]> {
    const consumers = await client.query<ConsumerRow>(
      `SELECT name, filter, fault, created_at FROM ${this.#s}.consumers WHERE $1::text IS NULL OR name = $1 ORDER BY name`,
      [name ?? null],
    );
    const records: ConsumerRecord[] = [];
    for (const row of consumers.rows) {
      const partitions = await client.query<PartitionRow>(
        `SELECT partition, checkpoint, owner FROM ${this.#s}.consumer_partitions WHERE consumer = $1 ORDER BY partition`,
        [row.name],
      );
      const parked = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.#s}.parked_events WHERE consumer = $1`, [row.name]);
      const { members, now } = await this.#members(client, row.name);
      records.push(consumerRecordOf(row, partitions.rows, members, parked.rows[0]!.n, now));
    }
    return records;
  }

  #run<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    return guarded(this.#isClosed, () => work(this.#pool));
  }

  async #write<T>(operation: string, work: (client: Queryable) => Promise<T>): Promise<T> {
    this.#scope.refuse(operation);
    return this.#run(work);
  }

  async #transaction<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#scope.refuse(operation);
    return inTransaction(this.#pool, this.#isClosed, work);
  }
}
