import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { TributaryError, isTributaryError } from '../core/errors.js';
import type { RecordedEvent, UntypedEvents } from '../core/event.js';
import type { ConsumerState } from '../store/consumer-store.js';
import type { EventStore } from '../store/event-store.js';
import { Checkpoints } from './checkpoints.js';
import { settleConsumerOptions, type ConsumerOptions, type SettledConsumerOptions } from './consumer-options.js';
import { Delivery, describeError } from './delivery.js';
import { HandlingWindow } from './handling-window.js';
import { Membership } from './membership.js';
import { PartitionProgress } from './partition-progress.js';
import { pause } from './retry.js';
import { WakeUps } from './wake-ups.js';

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
 *
 * Given an event map, the handler is typed by it:
 * `startConsumer<TributaryEvents>(store, { name, filter: { types: ['OrderPlaced'] }, handler: (e) => e.data.orderId })`.
 */
export async function startConsumer<Events extends object = UntypedEvents>(store: EventStore, options: ConsumerOptions<NoInfer<Events>>): Promise<Consumer> {
  // the filter decides which events reach the handler; the map only names their types
  const settled = settleConsumerOptions(options as ConsumerOptions, `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
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
  readonly #options: SettledConsumerOptions;
  readonly #progress = new PartitionProgress();
  readonly #stopping = new AbortController();
  readonly #wakeUps = new WakeUps();
  readonly #checkpoints: Checkpoints;
  readonly #delivery: Delivery;
  readonly #membership: Membership;
  /** With a window over one: the events handed out and not yet settled. */
  readonly #window: HandlingWindow | undefined;
  #state: ConsumerState = 'catching-up';
  #finish!: (outcome: ConsumerOutcome) => void;
  /** The head as the last wait reported it: the next round reads up to at least here without asking again. */
  #knownHead: number | undefined;
  /** Set when the store was closed beneath the consumer: it ends instead of beating against it. */
  #storeClosed: TributaryError | undefined;

  constructor(store: EventStore, options: SettledConsumerOptions) {
    this.#store = store;
    this.#options = options;
    this.name = options.name;
    this.member = options.member;
    this.done = new Promise((resolve) => (this.#finish = resolve));
    const progress = this.#progress;
    const stopping = this.#stopping.signal;
    this.#checkpoints = new Checkpoints(store.consumers, progress, { ...options, owner: options.grouped ? options.member : undefined });
    this.#delivery = new Delivery(store, progress, options, stopping);
    if (options.window > 1) {
      this.#window = new HandlingWindow({ delivery: this.#delivery, progress, checkpoints: this.#checkpoints }, options.window, () => this.#wakeUps.wake());
    }
    this.#membership = new Membership({ store: store.consumers, progress, checkpoints: this.#checkpoints, wakeUps: this.#wakeUps, stopping }, options, {
      report: () => ({ state: this.#state, position: progress.cursor }),
      afterBeat: () => this.#delivery.lookForReplays(),
      tookPartitions: () => this.#setState('catching-up'),
      storeClosed: (error) => {
        this.#storeClosed ??= error;
        this.#stopping.abort();
        this.#wakeUps.wake();
      },
    });
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
    const record = await this.#store.consumers.register({ name, partitions, startAt, filter });
    if (!grouped) this.#progress.take(0, record.partitions[0]!.checkpoint);
    await this.#membership.join();
    void this.#run().then(this.#finish);
  }

  async stop(): Promise<ConsumerOutcome> {
    this.#stopping.abort();
    this.#wakeUps.wake();
    return this.done;
  }

  async #run(): Promise<ConsumerOutcome> {
    let outcome: ConsumerOutcome = { state: 'stopped' };
    while (!this.#stopping.signal.aborted) {
      try {
        this.#window?.throwFailure();
        await this.#membership.moveToShare();
        if (this.#delivery.replayDue) await this.#delivery.replayParked();
        if (!this.#membership.mayHandle()) {
          await this.#wakeUps.sleep(this.#options.heartbeatMs);
          continue;
        }
        await this.#readToHead();
      } catch (error) {
        if (this.#stopping.signal.aborted) break;
        if (isTributaryError(error, 'HANDLER_FAILED')) {
          outcome = { state: 'faulted', error };
          break;
        }
        // events handed out and neither handled nor parked are read again
        await this.#window?.recover();
        if (this.#stopping.signal.aborted) break;
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
    this.#checkpoints.startWhenDue();
    await this.#waitForEvents();
  }

  /** Waits for events past the cursor, a wake-up, or the time to save what was handled, whichever comes first. */
  async #waitForEvents(): Promise<void> {
    const cursor = this.#progress.cursor;
    const timeoutMs = this.#checkpoints.waitMs();
    const head = await this.#wakeUps.wait((signal) => this.#store.waitForPosition(cursor, { timeoutMs, signal }));
    if (head !== undefined && head > cursor) this.#knownHead = head;
  }

  /** Handles a page; false when it stopped early (stop, new share, lease) and the rest must be read again. */
  async #handlePage(events: readonly RecordedEvent[]): Promise<boolean> {
    if (this.#options.transaction !== undefined) return this.#handlePageInTransaction(events);
    const delivery = this.#delivery;
    for (const event of events) {
      if (this.#interrupted()) return false;
      const partition = delivery.partitionOf(event.stream);
      if (this.#window !== undefined) {
        if (this.#progress.handles(partition, event.position)) await this.#window.admit(event, partition);
      } else if (this.#progress.handles(partition, event.position)) {
        const delivering = delivery.deliver(event, partition);
        if (delivering !== undefined) await delivering;
        this.#checkpoints.handled();
      }
      this.#progress.advance(event.position);
      if (this.#checkpoints.due) await this.#checkpoints.keepUp();
    }
    return true;
  }

  /** Hands the page's events this member handles to the transaction handler as one batch. */
  async #handlePageInTransaction(events: readonly RecordedEvent[]): Promise<boolean> {
    if (this.#interrupted()) return false;
    const last = events.at(-1);
    if (last === undefined) return true;
    const mine = events.filter((event) => this.#progress.handles(this.#delivery.partitionOf(event.stream), event.position));
    if (mine.length > 0) {
      if (!(await this.#delivery.deliverBatch(mine, last.position, () => this.#interrupted()))) return false;
      this.#checkpoints.committed();
    }
    this.#progress.advance(last.position);
    return true;
  }

  #interrupted(): boolean {
    return this.#stopping.signal.aborted || this.#membership.reassigning || !this.#membership.mayHandle();
  }

  #setState(state: ConsumerState): void {
    if (this.#state === state) return;
    this.#state = state;
    // report the change now rather than at the next heartbeat, so status is current
    void this.#membership.beatSoon();
  }

  async #shutdown(outcome: ConsumerOutcome): Promise<ConsumerOutcome> {
    this.#stopping.abort();
    await this.#membership.stop();
    // the handlers in flight were told to stop: their events stay below the checkpoint unless they finish
    await this.#window?.idle();
    this.#state = outcome.state;
    if (isTributaryError(outcome.error, 'STORE_CLOSED')) {
      // nothing can be saved any more: say so once; the stored checkpoint is where a restart resumes
      this.#options.onError(outcome.error);
      return outcome;
    }
    try {
      await this.#checkpoints.flush();
      if (outcome.state === 'faulted') await this.#store.consumers.setFault(this.name, describeError(outcome.error));
      await this.#membership.leave();
    } catch (error) {
      // the checkpoint stays where it was last saved; a restart handles the rest again
      this.#options.onError(error);
    }
    return outcome;
  }
}
