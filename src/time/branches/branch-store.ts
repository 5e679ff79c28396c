import { asOfBeyondHead, parseAsOf, type AsOf } from '../../core/as-of.js';
import { TributaryError } from '../../core/errors.js';
import type { AppendResult, EventData } from '../../core/event.js';
import { appendManyResult, type AppendManyResult, type StreamAppend } from '../../core/stream-appends.js';
import { assertStreamName } from '../../core/stream-name.js';
import { manyAppendCall, singleAppendCall } from '../../store/append-calls.js';
import { assertBranchName } from '../../store/branches.js';
import type {
  AllPage,
  AppendManyOptions,
  AppendOptions,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamInfo,
  StreamMetadata,
  StreamPage,
  WaitOptions,
} from '../../store/event-store.js';
import { nonNegativeInteger } from '../../store/options.js';
import { timeOf } from '../../store/position-at.js';
import { storeClosed } from '../../store/store-closed.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { branchRecordings, recordingsOf, type GatewayRecordings } from '../../store/gateway-recordings.js';
import { STREAM_SOFT_DELETED, STREAM_TOMBSTONED } from '../../store/write-rules.js';
import { appendToBranch } from './branch-append.js';
import { BranchConsumers } from '../../store/branch-consumers.js';
import { lastSeqAt, streamTail } from './branch-events.js';
import { readBranchLog, readBranchStream, type BranchReadContext } from './branch-reads.js';
import type { BranchHead } from './branch-rows.js';
import { onBranchAppend, signalBranchAppend } from './branch-signals.js';
import { waitForBranch } from './branch-wait.js';
import { realHeadAt } from './real-at-fork.js';
import type { SqlBranches } from './sql-branches.js';
import { BranchRefusals } from '../../store/branch-refusals.js';

/**
 * One branch of a SQL store as a store: reads see the real log up to the
 * fork followed by the branch's own events, appends go to the branch. What
 * would change the real log (delete, tombstone, metadata, scavenge) and the
 * real log's consumers are refused with BRANCH_UNSUPPORTED. Closing it closes
 * nothing but its own waits: the real store stays its owner's. Made by `withBranches`:
 *
 * ```ts
 * const late = withBranches(store).branch!('late-supplier');
 * const { events } = await late.readStream('order-42');
 * ```
 */
export class BranchStore extends BranchRefusals implements EventStore {
  readonly #real: EventStore;
  readonly #sql: SqlAccess;
  readonly #branches: SqlBranches;
  readonly #name: string;
  readonly consumers: BranchConsumers;
  /** The real store's: a replay of the branch answers from what the real log's handlers recorded. */
  readonly recordings: GatewayRecordings | undefined;
  readonly #closing = new AbortController();

  constructor(real: EventStore, sql: SqlAccess, branches: SqlBranches, name: string) {
    super(assertBranchName(name));
    this.#real = real;
    this.#sql = sql;
    this.#branches = branches;
    this.#name = name;
    this.consumers = new BranchConsumers(name);
    this.recordings = branchRecordings(recordingsOf(real), name);
  }

  get location(): string {
    return `${this.#real.location} (branch ${this.#name})`;
  }

  async append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    refuseReserved(stream);
    const call = singleAppendCall(stream, events, options);
    const [result] = await this.#write(call);
    return result!;
  }

  async appendMany(appends: readonly StreamAppend[], options: AppendManyOptions = {}): Promise<AppendManyResult> {
    if (Array.isArray(appends)) for (const part of appends as unknown[]) refuseReserved((part as StreamAppend | null)?.stream);
    return appendManyResult(await this.#write(manyAppendCall(appends, options)));
  }

  async #write(call: Parameters<typeof appendToBranch>[4]): Promise<AppendResult[]> {
    const results = await appendToBranch(this.#real, this.#sql, this.#branches, this.#name, call);
    signalBranchAppend(this.#real.location, this.#name);
    return results;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StreamPage> {
    assertStreamName(stream);
    return readBranchStream(await this.#context(options.asOf), stream, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<AllPage> {
    return readBranchLog(await this.#context(options.asOf), options, options.asOf !== undefined);
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    assertStreamName(stream);
    const branch = await this.#head();
    const tail = await streamTail(this.#sql, this.#name, stream, branch.lastSeq);
    if (tail !== undefined) return { stream, exists: true, lastRevision: tail.revision, lastPosition: branch.fork + tail.seq, deleted: false };
    const real = await realHeadAt(this.#real, stream, branch.fork);
    if (real === undefined) return { stream, exists: false, lastRevision: -1, lastPosition: 0, deleted: false };
    const deleted = real.state === STREAM_TOMBSTONED ? 'tombstone' : real.state === STREAM_SOFT_DELETED ? 'soft' : false;
    return { stream, exists: deleted === false, lastRevision: real.lastRevision, lastPosition: real.lastPosition, deleted };
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    await this.#head();
    return this.#real.getStreamMetadata(stream);
  }

  async headPosition(): Promise<number> {
    const branch = await this.#head();
    return branch.fork + branch.lastSeq;
  }

  async positionAt(time: Date | string): Promise<number> {
    const at = timeOf(time);
    const branch = await this.#head();
    const real = branch.fork === 0 ? 0 : Math.min(await this.#real.positionAt(time), branch.fork);
    if (real < branch.fork) return real;
    return branch.fork + (await lastSeqAt(this.#sql, this.#name, at));
  }

  async waitForPosition(after: number, options: WaitOptions = {}): Promise<number> {
    nonNegativeInteger('after', after);
    if (this.#closing.signal.aborted) throw storeClosed();
    return waitForBranch(after, options, {
      head: () => this.headPosition(),
      subscribe: (wake) => onBranchAppend(this.#real.location, this.#name, wake),
      closing: this.#closing.signal,
    });
  }

  /** Answers this view's waiters with the last head they saw; the real store stays open, its owner's to close. */
  async close(): Promise<void> {
    this.#closing.abort();
  }

  #head(): Promise<BranchHead> {
    return this.#branches.head(this.#name);
  }

  /** The branch's head and the last position a read sees: the branch's head, or the position an `asOf` stands for. */
  async #context(asOf: AsOf | undefined): Promise<BranchReadContext> {
    const branch = await this.#head();
    const head = branch.fork + branch.lastSeq;
    if (asOf === undefined) return { real: this.#real, db: this.#sql, branch, until: head };
    const parsed = parseAsOf(asOf);
    if ('time' in parsed) return { real: this.#real, db: this.#sql, branch, until: await this.positionAt(new Date(parsed.time)) };
    if (parsed.position > head) throw asOfBeyondHead(parsed.position, head);
    return { real: this.#real, db: this.#sql, branch, until: parsed.position };
  }
}

/** Throws RESERVED_STREAM for a `$` stream: the store's own, never written by a caller, on a branch either. */
function refuseReserved(stream: unknown): void {
  if (typeof stream === 'string' && stream.startsWith('$')) {
    throw new TributaryError('RESERVED_STREAM', `stream ${JSON.stringify(stream)} is the store's own ($ streams): only the store writes it`, { stream });
  }
}
