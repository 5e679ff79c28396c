import { isTributaryError } from '../../core/errors.js';
import type {
  ConsumerRecord,
  ConsumerRegistration,
  ConsumerStore,
  GroupView,
  MemberBeat,
  ParkedEntry,
  ParkRequest,
  PartitionCheckpoint,
} from '../../store/consumer-store.js';
import type { RemoteHttp } from './remote-http.js';

/** A consumer's bookkeeping on the server (routes under `/consumers`). No transactions over HTTP: `transact` is absent. */
export class RemoteConsumerStore implements ConsumerStore {
  readonly #http: RemoteHttp;

  constructor(http: RemoteHttp) {
    this.#http = http;
  }

  register(registration: ConsumerRegistration): Promise<ConsumerRecord> {
    const { name, ...body } = registration;
    return this.#http.request('PUT', this.#path(name), { body });
  }

  async get(consumer: string): Promise<ConsumerRecord | undefined> {
    try {
      return await this.#http.request<ConsumerRecord>('GET', `${this.#path(consumer)}/record`);
    } catch (error) {
      if (isTributaryError(error, 'CONSUMER_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  list(): Promise<ConsumerRecord[]> {
    return this.#http.request('GET', '/consumer-records');
  }

  async remove(consumer: string): Promise<boolean> {
    return (await this.#http.request<{ removed: boolean }>('DELETE', this.#path(consumer))).removed;
  }

  async saveCheckpoints(consumer: string, checkpoints: readonly PartitionCheckpoint[], owner?: string): Promise<number[]> {
    return (await this.#http.request<{ lost: number[] }>('POST', `${this.#path(consumer)}/checkpoints`, { body: { checkpoints, owner } })).lost;
  }

  heartbeat(consumer: string, beat: MemberBeat): Promise<GroupView> {
    const { member, ...body } = beat;
    return this.#http.request('POST', `${this.#member(consumer, member)}/heartbeat`, { body });
  }

  async claim(consumer: string, member: string, partitions: readonly number[]): Promise<number[]> {
    return (await this.#http.request<{ held: number[] }>('POST', `${this.#member(consumer, member)}/claim`, { body: { partitions } })).held;
  }

  async release(consumer: string, member: string, partitions?: readonly number[]): Promise<void> {
    await this.#http.request('POST', `${this.#member(consumer, member)}/release`, { body: partitions === undefined ? {} : { partitions } });
  }

  async leave(consumer: string, member: string): Promise<void> {
    await this.#http.request('DELETE', this.#member(consumer, member));
  }

  async setFault(consumer: string, fault: string | null): Promise<void> {
    await this.#http.request('PUT', `${this.#path(consumer)}/fault`, { body: { fault } });
  }

  async park(consumer: string, entry: ParkRequest): Promise<void> {
    await this.#http.request('POST', `${this.#path(consumer)}/parked`, { body: entry });
  }

  async listParked(consumer: string, options: { after?: number; limit?: number } = {}): Promise<ParkedEntry[]> {
    return (await this.#http.request<{ parked: ParkedEntry[] }>('GET', `${this.#path(consumer)}/parked`, { query: options })).parked;
  }

  async requestReplay(consumer: string, positions?: readonly number[]): Promise<number> {
    const body = positions === undefined ? {} : { positions };
    return (await this.#http.request<{ replayed: number }>('POST', `${this.#path(consumer)}/parked/replay`, { body })).replayed;
  }

  async replayRequests(consumer: string, limit: number): Promise<ParkedEntry[]> {
    return (await this.#http.request<{ parked: ParkedEntry[] }>('GET', `${this.#path(consumer)}/replay-requests`, { query: { limit } })).parked;
  }

  async removeParked(consumer: string, positions?: readonly number[]): Promise<number> {
    const body = positions === undefined ? {} : { positions };
    return (await this.#http.request<{ purged: number }>('POST', `${this.#path(consumer)}/parked/purge`, { body })).purged;
  }

  #path(consumer: string): string {
    return `/consumers/${encodeURIComponent(consumer)}`;
  }

  #member(consumer: string, member: string): string {
    return `${this.#path(consumer)}/members/${encodeURIComponent(member)}`;
  }
}
