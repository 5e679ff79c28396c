import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { TributaryError, isTributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import type { ConsumerState, ConsumerStore, PartitionCheckpoint } from '../store/consumer-store.js';
import type { EventStore } from '../store/event-store.js';
import { settleConsumerOptions, type ConsumerOptions, type HandlerContext, type SettledConsumerOptions } from './consumer-options.js';
import { PartitionProgress } from './partition-progress.js';
import { partitionOfStream, partitionsFor } from './partitions.js';
import { pause, retryDelay } from './retry.js';

/** How a consumer ended: stopped on request, or faulted (`onFailure: 'stop'`, or an error it cannot recover from). */
export interface ConsumerOutcome {
  state: 'stopped' | 'faulted';
  error?: unknown;
}

/** A running consumer. */
export interface Consumer {
  readonly name: string;
  readonly member: string;
  /** Its state as this process sees it. */
  readonly state: ConsumerState;
  /** The last position read. */
  readonly position: number;
  /** The partitions this member holds (always `[0]` for a lone consumer). */
  readonly partitions: readonly number[];
  /** Finishes the event in hand, saves the checkpoint, leaves the group. */
  stop(): Promise<ConsumerOutcome>;
  /** Settles when the consumer ends; never rejects. */
  readonly done: Promise<ConsumerOutcome>;
}

/**
 * Starts a named consumer: it catches up from its stored checkpoint (or
 * `start`), then follows the log live; it delivers every event at least once
 * in position order, retries a failing handler with backoff and then parks
 * the event, and saves its checkpoint in the store. With `group`, processes
 * starting the same name share the streams: each partition of streams is held
 * by one member at a time, so each stream is handled in order.
 *
 * ```ts
 * const consumer = await startConsumer(store, {
 *   name: 'search-indexer',
 *   filter: { categories: ['order'] },
 *   handler: async (event) => index.put(event.stream, event.data),
 * });
 * ```
 */
export async function startConsumer(store: EventStore, options: ConsumerOptions): Promise<Consumer> {
  const settled = settleConsumerOptions(options, `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
  if (settled.transaction !== undefined && store.consumers.transact === undefined) {
    throw new TributaryError('INVALID_ARGUMENT', 'this store cannot run a handler in its own transaction; use handler', {
      argument: 'transaction',
    });
  }
  const runner = new ConsumerRunner(store, settled);
  await runner.start();
  return runner;
}

class ConsumerRunner implements Consumer {
  readonly name: string;
  readonly member: string;
  readonly done: Promise<ConsumerOutcome>;
  readonly #store: EventStore;
  readonly #consumers: ConsumerStore;
  readonly #options: SettledConsumerOptions;
  readonly #progress = new PartitionProgress();
  readonly #stopping = new AbortController();
  #wake = new AbortController();
  #state: ConsumerState = 'catching-up';
  #finish!: (outcome: ConsumerOutcome) => void;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #leaseUntil = 0;
  #wanted: number[] | undefined;
  #replayDue = true;
  /** The head as the last wait reported it: the next round reads up to at least here without asking again. */
  #knownHead: number | undefined;
  #saving: Promise<void> | undefined;
  /** Set when the store was closed beneath the consumer: it ends instead of beating against it. */
  #storeClosed: TributaryError | undefined;
  #handledSinceSave = 0;
  #savedAt = performance.now();

  constructor(store: EventStore, options: SettledConsumerOptions) {
    this.#store = store;
    this.#consumers = store.consumers;
    this.#options = options;
    this.name = options.name;
    this.member = options.member;
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  get state(): ConsumerState {
    return this.#state;
  }

  get position(): number {
    return this.#progress.cursor;
  }

  get partitions(): readonly number[] {
    return [...this.#progress.owned].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const { name, partitions, filter, start, grouped } = this.#options;
    const startAt = start === 'beginning' ? 0 : start === 'end' ? await this.#store.headPosition() : start;
    const record = await this.#consumers.register({ name, partitions, startAt, filter });
    if (!grouped) this.#progress.take(0, record.partitions[0]!.checkpoint);
    await this.#beat();
    this.#scheduleHeartbeat();
    void this.#run().then(this.#finish);
  }

  async stop(): Promise<ConsumerOutcome> {
    this.#stopping.abort();
    this.#wake.abort();
    return this.done;
  }

  async #run(): Promise<ConsumerOutcome> {
    let outcome: ConsumerOutcome = { state: 'stopped' };
    while (!this.#stopping.signal.aborted) {
      try {
        await this.#applyAssignment();
        if (this.#replayDue) await this.#replayParked();
        if (!this.#mayHandle()) {
          await this.#sleepUntilWoken(this.#options.heartbeatMs);
          continue;
        }
        await this.#readToHead();
      } catch (error) {
        if (this.#stopping.signal.aborted) break;
        if (isTributaryError(error, 'HANDLER_FAILED')) {
          outcome = { state: 'faulted', error };
          break;
        }
        if (isTributaryError(error, 'CHECKPOINT_LOST')) {
          for (const partition of (error.details.partitions as number[] | undefined) ?? []) this.#progress.drop(partition);
          this.#options.onError(error);
          continue;
        }
        if (isTributaryError(error) && error.retriable) {
          // the store is unreachable or busy: keep trying, never stop silently
          this.#options.onError(error);
          await pause(this.#options.retry.maxDelayMs, this.#stopping.signal);
          continue;
        }
        outcome = { state: 'faulted', error };
        break;
      }
    }
    if (this.#storeClosed !== undefined) outcome = { state: 'faulted', error: this.#storeClosed };
    return this.#shutdown(outcome);
  }

  /** Reads and handles pages until the head read before the first page, then waits for more. */
  async #readToHead(): Promise<void> {
    const { filter, pageSize } = this.#options;
    const head = this.#knownHead ?? (await this.#store.headPosition());
    this.#knownHead = undefined;
    let pages = 0;
    for (;;) {
      const after = this.#progress.cursor;
      const page = await this.#store.readAll({ ...filter, after, limit: pageSize });
      if (++pages > 1) this.#setState('catching-up');
      const finished = await this.#handlePage(page.events);
      if (!finished) return;
      if (page.next === null) {
        this.#progress.advance(Math.max(head, page.events.at(-1)?.position ?? 0));
        break;
      }
      this.#progress.advance(page.next);
      if (this.#interrupted()) return;
    }
    this.#setState('live');
    if (this.#saveDue()) this.#saveInBackground();
    // wake in time to save what was handled, so the checkpoint is never more than checkpointMs behind
    const untilSave = Math.ceil(this.#savedAt + this.#options.checkpointMs - performance.now());
    await this.#waitForEvents(this.#handledSinceSave > 0 ? Math.max(1, untilSave) : this.#options.checkpointMs);
  }

  /** Handles a page; false when it stopped early (stop, rebalance, lease) and the rest must be read again. */
  async #handlePage(events: readonly RecordedEvent[]): Promise<boolean> {
    if (this.#options.transaction !== undefined) return this.#handlePageInTransaction(events);
    for (const event of events) {
      if (this.#interrupted()) return false;
      const partition = this.#partitionOf(event.stream);
      if (this.#progress.handles(partition, event.position)) {
        const first = this.#firstAttempt(event, partition);
        const failure = first === HANDLED ? HANDLED : await first;
        if (failure !== HANDLED) await this.#deliver(event, partition, 0, failure);
        this.#handledSinceSave++;
      }
      this.#progress.advance(event.position);
      if (this.#saveDue()) {
        // never more than one save behind: wait for the one in flight before starting the next
        await this.#saving;
        this.#saveInBackground();
      }
    }
    return true;
  }

  async #handlePageInTransaction(events: readonly RecordedEvent[]): Promise<boolean> {
    if (this.#interrupted()) return false;
    const mine = events.filter((event) => this.#progress.handles(this.#partitionOf(event.stream), event.position));
    const last = events.at(-1);
    if (last === undefined) return true;
    if (mine.length > 0) {
      try {
        await this.#transact(mine, last.position, 1);
      } catch (error) {
        if (isTributaryError(error, 'CHECKPOINT_LOST')) throw error;
        // one event of the batch fails: find it by handling the batch one event at a time
        for (const event of mine) {
          if (this.#interrupted()) return false;
          await this.#deliver(event, this.#partitionOf(event.stream));
          this.#progress.advance(event.position);
        }
      }
      this.#savedAt = performance.now();
      this.#handledSinceSave = 0;
    }
    this.#progress.advance(last.position);
    return true;
  }

  /** Runs the transaction handler on `events`, committing checkpoints as if the cursor were at `through`. */
  async #transact(events: readonly RecordedEvent[], through: number, attempt: number): Promise<void> {
    const progress = this.#progress;
    const checkpoints = progress.checkpoints().map(({ partition }) => ({ partition, position: Math.max(progress.progressOf(partition), through) }));
    const context = this.#context(attempt, events[0] === undefined ? 0 : this.#partitionOf(events[0].stream));
    await this.#consumers.transact!((tx) => this.#options.transaction!(events, tx, context), {
      consumer: this.name,
      checkpoints,
      owner: this.#owner(),
    });
  }

  /**
   * The first call of the handler, the common case kept cheap: a handler that
   * returns no promise costs no await. Otherwise resolves to HANDLED or to
   * `{ error }`, which `#deliver` takes on from.
   */
  #firstAttempt(event: RecordedEvent, partition: number): typeof HANDLED | Promise<typeof HANDLED | { error: unknown }> {
    try {
      const result = this.#options.handler!(event, this.#context(1, partition));
      if (!isPromiseLike(result)) return HANDLED;
      return Promise.resolve(result).then(
        (): typeof HANDLED => HANDLED,
        (error: unknown) => ({ error }) as const,
      );
    } catch (error) {
      return Promise.resolve({ error });
    }
  }

  /** Hands one event to the handler with retries; parks it (or faults) when every attempt fails. */
  async #deliver(event: RecordedEvent, partition: number, previousAttempts = 0, firstFailure?: { error: unknown }): Promise<boolean> {
    const { retry } = this.#options;
    let lastError: unknown;
    let attempt = 1;
    if (firstFailure !== undefined) {
      lastError = firstFailure.error;
      if (retry.attempts > 1 && !(await pause(retryDelay(retry, 1), this.#stopping.signal))) throw lastError;
      attempt = 2;
    }
    for (; attempt <= retry.attempts; attempt++) {
      try {
        if (this.#options.transaction !== undefined) await this.#transact([event], event.position, attempt);
        else await this.#options.handler!(event, this.#context(attempt, partition));
        return true;
      } catch (error) {
        if (isTributaryError(error, 'CHECKPOINT_LOST')) throw error;
        lastError = error;
        if (attempt < retry.attempts && !(await pause(retryDelay(retry, attempt), this.#stopping.signal))) throw error;
      }
      if (this.#stopping.signal.aborted) throw lastError;
    }
    const attempts = previousAttempts + retry.attempts;
    const message = describe(lastError);
    if (this.#options.onFailure === 'stop') {
      throw new TributaryError(
        'HANDLER_FAILED',
        `consumer ${this.name} failed on event ${event.position} (${event.type} in ${event.stream}) ${attempts} times: ${message}`,
        { consumer: this.name, position: event.position, stream: event.stream, attempts, error: message },
        { cause: lastError },
      );
    }
    await this.#consumers.park(this.name, { position: event.position, eventId: event.id, stream: event.stream, type: event.type, error: message, attempts });
    return false;
  }

  /** Handles parked events marked for replay that belong to partitions this member holds. */
  async #replayParked(): Promise<void> {
    this.#replayDue = false;
    const requests = await this.#consumers.replayRequests(this.name, 100);
    let mine = 0;
    for (const request of requests) {
      if (this.#stopping.signal.aborted) return;
      const partition = this.#partitionOf(request.stream);
      if (!this.#progress.owned.has(partition)) continue;
      mine++;
      const [event] = (await this.#store.readAll({ after: request.position - 1, limit: 1 })).events;
      // scavenged since it was parked: nothing is left to handle
      if (event?.position !== request.position) {
        await this.#consumers.removeParked(this.name, [request.position]);
        continue;
      }
      const handled = await this.#deliver(event, partition, request.attempts).catch((error: unknown) => {
        if (isTributaryError(error, 'HANDLER_FAILED')) return false;
        throw error;
      });
      if (handled) await this.#consumers.removeParked(this.name, [request.position]);
      else if (this.#options.onFailure === 'stop') await this.#consumers.park(this.name, { ...request, attempts: request.attempts + this.#options.retry.attempts });
    }
    // more may wait behind this batch; requests for other members' partitions are theirs to take
    if (requests.length === 100 && mine > 0) this.#replayDue = true;
  }

  /** Saves the checkpoints now, after any save in flight. */
  async #save(): Promise<void> {
    await this.#saving;
    await this.#write(this.#snapshot());
  }

  /** Starts a save of the checkpoints as they are now, without waiting for it; one save at a time. */
  #saveInBackground(): void {
    if (this.#saving !== undefined) return;
    this.#saving = this.#write(this.#snapshot())
      .catch((error: unknown) => {
        // try again soon: the checkpoint must not fall further behind than configured
        this.#handledSinceSave = this.#options.checkpointEvents;
        this.#options.onError(error);
      })
      .finally(() => (this.#saving = undefined));
  }

  #snapshot(): PartitionCheckpoint[] {
    this.#handledSinceSave = 0;
    this.#savedAt = performance.now();
    return this.#capped(this.#progress.checkpoints());
  }

  /** Checkpoints no further than the handler's effects are durable (see `durableThrough`). */
  #capped(checkpoints: PartitionCheckpoint[]): PartitionCheckpoint[] {
    const durable = this.#options.durableThrough;
    if (durable === undefined) return checkpoints;
    const ceiling = durable();
    return checkpoints.map(({ partition, position }) => ({ partition, position: Math.min(position, ceiling) }));
  }

  async #write(checkpoints: PartitionCheckpoint[]): Promise<void> {
    if (checkpoints.length === 0) return;
    const lost = await this.#consumers.saveCheckpoints(this.name, checkpoints, this.#owner());
    for (const partition of lost) this.#progress.drop(partition);
  }

  #saveDue(): boolean {
    return this.#handledSinceSave >= this.#options.checkpointEvents || this.#savedAt + this.#options.checkpointMs <= performance.now();
  }

  /** Releases partitions the group gave to others, takes the ones it gave to this member. */
  async #applyAssignment(): Promise<void> {
    const wanted = this.#wanted;
    if (wanted === undefined || !this.#options.grouped) return;
    this.#wanted = undefined;
    const progress = this.#progress;
    const leaving = [...progress.owned].filter((partition) => !wanted.includes(partition));
    if (leaving.length > 0) {
      await this.#saving;
      await this.#consumers.saveCheckpoints(this.name, this.#capped(progress.checkpoints(leaving)), this.member);
      for (const partition of leaving) progress.drop(partition);
      await this.#consumers.release(this.name, this.member, leaving);
    }
    if (wanted.every((partition) => progress.owned.has(partition))) return;
    const held = await this.#consumers.claim(this.name, this.member, wanted);
    // partitions taken over while this member's lease had lapsed are no longer its own
    for (const partition of [...progress.owned]) if (!held.includes(partition)) progress.drop(partition);
    const taken = held.filter((partition) => !progress.owned.has(partition));
    if (taken.length === 0) return;
    const record = await this.#consumers.get(this.name);
    for (const partition of taken) progress.take(partition, record?.partitions[partition]?.checkpoint ?? 0);
    this.#setState('catching-up');
  }

  #scheduleHeartbeat(): void {
    if (this.#stopping.signal.aborted) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
      void this.#beating.finally(() => {
        if (!this.#stopping.signal.aborted) this.#scheduleHeartbeat();
      });
    }, this.#options.heartbeatMs);
  }

  /** Renews the lease and reports state; in a group, works out which partitions this member should hold. */
  async #beat(): Promise<void> {
    const startedAt = performance.now();
    try {
      const { members } = await this.#consumers.heartbeat(this.name, {
        member: this.member,
        state: this.#state,
        position: this.#progress.cursor,
        leaseMs: this.#options.leaseMs,
      });
      this.#leaseUntil = startedAt + this.#options.leaseMs;
      this.#replayDue ||= (await this.#consumers.replayRequests(this.name, 1)).length > 0;
      if (this.#options.grouped) {
        const wanted = partitionsFor(this.member, members.map((member) => member.member), this.#options.partitions);
        const owned = this.#progress.owned;
        if (wanted.length !== owned.size || wanted.some((partition) => !owned.has(partition))) this.#wanted = wanted;
      }
      if (this.#wanted !== undefined || this.#replayDue || !this.#mayHandle()) this.#wake.abort();
    } catch (error) {
      // a member holding no partition never reads: without this, it would beat against a closed store for ever
      if (isTributaryError(error, 'STORE_CLOSED')) this.#endOnClosedStore(error);
      else this.#options.onError(error);
    }
  }

  #endOnClosedStore(error: TributaryError): void {
    this.#storeClosed ??= error;
    this.#stopping.abort();
    this.#wake.abort();
  }

  /** A member handles events only while its lease lasts: after that its partitions may be someone else's. */
  #mayHandle(): boolean {
    if (this.#progress.owned.size === 0) return false;
    return !this.#options.grouped || performance.now() < this.#leaseUntil;
  }

  #interrupted(): boolean {
    return this.#stopping.signal.aborted || this.#wanted !== undefined || !this.#mayHandle();
  }

  async #waitForEvents(timeoutMs: number): Promise<void> {
    const signal = this.#wake.signal;
    if (signal.aborted) {
      this.#wake = new AbortController();
      return;
    }
    try {
      const head = await this.#store.waitForPosition(this.#progress.cursor, { timeoutMs, signal });
      if (head > this.#progress.cursor) this.#knownHead = head;
    } catch (error) {
      if (!signal.aborted) throw error;
    }
    if (signal.aborted) this.#wake = new AbortController();
  }

  async #sleepUntilWoken(ms: number): Promise<void> {
    await pause(ms, this.#wake.signal);
    if (this.#wake.signal.aborted) this.#wake = new AbortController();
  }

  #setState(state: ConsumerState): void {
    if (this.#state === state) return;
    this.#state = state;
    // report the change now rather than at the next heartbeat, so status is current
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
  }

  #partitionOf(stream: string): number {
    const { partitions } = this.#options;
    return partitions === 1 ? 0 : partitionOfStream(stream, partitions);
  }

  #owner(): string | undefined {
    return this.#options.grouped ? this.member : undefined;
  }

  #context(attempt: number, partition: number): HandlerContext {
    return { attempt, partition, member: this.member, signal: this.#stopping.signal };
  }

  async #shutdown(outcome: ConsumerOutcome): Promise<ConsumerOutcome> {
    this.#stopping.abort();
    clearTimeout(this.#heartbeatTimer);
    await this.#beating;
    this.#state = outcome.state;
    if (isTributaryError(outcome.error, 'STORE_CLOSED')) {
      // nothing can be saved any more: say so once; the stored checkpoint is where a restart resumes
      this.#options.onError(outcome.error);
      return outcome;
    }
    try {
      await this.#save();
      if (outcome.state === 'faulted') await this.#consumers.setFault(this.name, describe(outcome.error));
      await this.#consumers.leave(this.name, this.member);
    } catch (error) {
      // the checkpoint stays where it was last saved; a restart handles the rest again
      this.#options.onError(error);
    }
    return outcome;
  }
}

/** The first attempt's answer when the handler succeeded. */
const HANDLED = Symbol('handled');

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
