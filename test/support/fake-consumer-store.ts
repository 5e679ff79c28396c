import { checkpointLost } from '../../src/store/consumer-rows.js';
import type {
  ConsumerRecord,
  ConsumerRegistration,
  ConsumerStore,
  GroupView,
  MemberBeat,
  MemberRecord,
  ParkedEntry,
  ParkRequest,
  PartitionCheckpoint,
  PartitionState,
  SqlTransaction,
} from '../../src/store/consumer-store.js';
import type { LogFilter } from '../../src/store/event-store.js';
import { GroupWatchers } from '../../src/store/group-watchers.js';
import { sqliteDialect } from '../../src/backends/sqlite/sqlite-dialect.js';

interface StoredConsumer {
  filter: LogFilter;
  partitions: PartitionState[];
  members: Map<string, MemberRecord>;
  parked: Map<number, ParkedEntry>;
  fault: string | null;
  createdAt: number;
}

/**
 * A consumer store in memory, for the subscription modules' unit tests: the
 * same rules as the SQL backends (leases judged by its own clock `now`, fenced
 * checkpoints), with every call recorded and a way to make the next call fail.
 * With `groupSignals` it tells watchers of a group's changes (`watchGroup`) as
 * the SQL backends do: after a member joins, leaves, is forgotten or lets go.
 */
export class FakeConsumerStore implements ConsumerStore {
  /** The store's clock, in ms since the epoch; tests move it. */
  now = 1_700_000_000_000;
  /** Each call as `method consumer …`, in order. */
  readonly calls: string[] = [];
  readonly #consumers = new Map<string, StoredConsumer>();
  readonly #failures = new Map<string, Error>();
  /** What a transaction handler's `tx` sees; absent unless the test gives transactions. */
  readonly transact?: ConsumerStore['transact'];
  readonly watchGroup?: ConsumerStore['watchGroup'];
  readonly #watchers = new GroupWatchers();

  constructor(options: { transactions?: boolean; groupSignals?: boolean } = {}) {
    if (options.transactions === true) this.transact = (work, checkpoint) => this.#transact(work, checkpoint);
    if (options.groupSignals === true) this.watchGroup = (consumer, listener) => this.#watchers.watch(consumer, listener);
  }

  /** Makes the next call of `method` throw `error`. */
  failNext(method: keyof ConsumerStore, error: Error): void {
    this.#failures.set(method, error);
  }

  async register({ name, partitions, startAt, filter }: ConsumerRegistration): Promise<ConsumerRecord> {
    this.#call('register', name);
    if (!this.#consumers.has(name)) {
      this.#consumers.set(name, {
        filter,
        partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, checkpoint: startAt, owner: null })),
        members: new Map(),
        parked: new Map(),
        fault: null,
        createdAt: this.now,
      });
    }
    this.#consumer(name).fault = null;
    return this.#record(name);
  }

  async get(consumer: string): Promise<ConsumerRecord | undefined> {
    this.#call('get', consumer);
    return this.#consumers.has(consumer) ? this.#record(consumer) : undefined;
  }

  async list(): Promise<ConsumerRecord[]> {
    this.#call('list');
    return [...this.#consumers.keys()].sort().map((name) => this.#record(name));
  }

  async remove(consumer: string): Promise<boolean> {
    this.#call('remove', consumer);
    return this.#consumers.delete(consumer);
  }

  async saveCheckpoints(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner?: string): Promise<number[]> {
    this.#call('saveCheckpoints', consumer, JSON.stringify(checkpoints), owner ?? '');
    return this.#move(consumer, checkpoints, owner);
  }

  async heartbeat(consumer: string, beat: MemberBeat): Promise<GroupView> {
    this.#call('heartbeat', consumer, beat.member);
    const stored = this.#consumer(consumer);
    const joining = !stored.members.has(beat.member);
    const joinedAt = stored.members.get(beat.member)?.joinedAt ?? this.now;
    stored.members.set(beat.member, { member: beat.member, state: beat.state, position: beat.position, leaseUntil: this.now + beat.leaseMs, joinedAt });
    const alive = stored.members.size;
    for (const [name, member] of stored.members) if (member.leaseUntil < this.now) stored.members.delete(name);
    for (const partition of stored.partitions) if (partition.owner !== null && !stored.members.has(partition.owner)) partition.owner = null;
    if (joining || stored.members.size < alive) this.#changed(consumer);
    return { members: this.#members(stored), owners: stored.partitions.map((partition) => partition.owner), now: this.now };
  }

  async claim(consumer: string, member: string, partitions: readonly number[]): Promise<number[]> {
    this.#call('claim', consumer, member, partitions.join(','));
    const stored = this.#consumer(consumer);
    const live = (owner: string) => (stored.members.get(owner)?.leaseUntil ?? -Infinity) >= this.now;
    for (const partition of partitions) {
      const state = stored.partitions[partition]!;
      if (state.owner === null || state.owner === member || !live(state.owner)) state.owner = member;
    }
    return stored.partitions.filter((state) => state.owner === member).map((state) => state.partition);
  }

  async release(consumer: string, member: string, partitions?: readonly number[]): Promise<void> {
    this.#call('release', consumer, member, partitions?.join(',') ?? 'all');
    let released = 0;
    for (const state of this.#consumer(consumer).partitions) {
      if (state.owner !== member || (partitions !== undefined && !partitions.includes(state.partition))) continue;
      state.owner = null;
      released++;
    }
    if (released > 0) this.#changed(consumer);
  }

  async leave(consumer: string, member: string): Promise<void> {
    this.#call('leave', consumer, member);
    if (this.#consumer(consumer).members.delete(member)) this.#changed(consumer);
    await this.release(consumer, member);
  }

  async setFault(consumer: string, fault: string | null): Promise<void> {
    this.#call('setFault', consumer);
    this.#consumer(consumer).fault = fault;
  }

  async park(consumer: string, entry: ParkRequest): Promise<void> {
    this.#call('park', consumer, String(entry.position));
    this.#consumer(consumer).parked.set(entry.position, { ...entry, parkedAt: this.now, replay: false });
  }

  async listParked(consumer: string, options: { after?: number; limit?: number } = {}): Promise<ParkedEntry[]> {
    this.#call('listParked', consumer);
    return this.#parked(consumer).filter((entry) => entry.position > (options.after ?? 0)).slice(0, options.limit ?? 100);
  }

  async requestReplay(consumer: string, positions?: readonly number[]): Promise<number> {
    this.#call('requestReplay', consumer);
    let marked = 0;
    for (const entry of this.#parked(consumer)) {
      if (entry.replay || (positions !== undefined && !positions.includes(entry.position))) continue;
      entry.replay = true;
      marked++;
    }
    return marked;
  }

  async replayRequests(consumer: string, limit: number): Promise<ParkedEntry[]> {
    this.#call('replayRequests', consumer);
    return this.#parked(consumer).filter((entry) => entry.replay).slice(0, limit);
  }

  async removeParked(consumer: string, positions?: readonly number[]): Promise<number> {
    this.#call('removeParked', consumer, positions?.join(',') ?? 'all');
    const parked = this.#consumer(consumer).parked;
    const doomed = positions ?? [...parked.keys()];
    return doomed.filter((position) => parked.delete(position)).length;
  }

  async #transact<T>(
    work: (tx: SqlTransaction) => Promise<T>,
    checkpoint: { consumer: string; checkpoints: readonly PartitionCheckpoint[]; owner?: string },
  ): Promise<T> {
    this.#call('transact', checkpoint.consumer, JSON.stringify(checkpoint.checkpoints));
    const tx: SqlTransaction = { dialect: sqliteDialect, query: async () => [], execute: async () => ({ changes: 0 }) };
    const value = await work(tx);
    const stored = this.#consumer(checkpoint.consumer);
    const lost = checkpoint.checkpoints.filter(({ partition }) => checkpoint.owner !== undefined && stored.partitions[partition]?.owner !== checkpoint.owner);
    if (lost.length > 0) throw checkpointLost(checkpoint.consumer, checkpoint.owner ?? '', lost.map(({ partition }) => partition));
    this.#move(checkpoint.consumer, checkpoint.checkpoints, checkpoint.owner);
    return value;
  }

  #move(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner: string | undefined): number[] {
    const lost: number[] = [];
    for (const { partition, position } of checkpoints) {
      const state = this.#consumer(consumer).partitions[partition]!;
      if (owner !== undefined && state.owner !== owner) lost.push(partition);
      else state.checkpoint = Math.max(state.checkpoint, position);
    }
    return lost;
  }

  /** Tells the group's watchers once the call that changed it has returned, as a backend does after its commit. */
  #changed(consumer: string): void {
    queueMicrotask(() => this.#watchers.raise(consumer));
  }

  #call(method: keyof ConsumerStore, ...args: string[]): void {
    this.calls.push([method, ...args].join(' '));
    const failure = this.#failures.get(method);
    if (failure === undefined) return;
    this.#failures.delete(method);
    throw failure;
  }

  #consumer(name: string): StoredConsumer {
    const stored = this.#consumers.get(name);
    if (stored === undefined) throw new Error(`the fake store has no consumer ${name}`);
    return stored;
  }

  #members(stored: StoredConsumer): MemberRecord[] {
    return [...stored.members.values()].sort((a, b) => (a.member < b.member ? -1 : 1)).map((member) => ({ ...member }));
  }

  #parked(consumer: string): ParkedEntry[] {
    return [...this.#consumer(consumer).parked.values()].sort((a, b) => a.position - b.position);
  }

  #record(name: string): ConsumerRecord {
    const stored = this.#consumer(name);
    return {
      name,
      filter: stored.filter,
      partitions: stored.partitions.map((state) => ({ ...state })),
      members: this.#members(stored),
      parked: stored.parked.size,
      fault: stored.fault,
      createdAt: stored.createdAt,
      now: this.now,
    };
  }
}
