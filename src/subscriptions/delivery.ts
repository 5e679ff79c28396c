import { setMaxListeners } from 'node:events';
import { TributaryError, isTributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import { checkpointLost } from '../store/consumer-rows.js';
import type { ConsumerStore } from '../store/consumer-store.js';
import type { EventStore } from '../store/event-store.js';
import { recordingsIn, recordingsOf, type GatewayRecordings } from '../store/gateway-recordings.js';
import type { HandlerContext, SettledConsumerOptions } from './consumer-options.js';
import { consumerOwner, runHandling, type ReplayMode } from './handling.js';
import type { PartitionProgress } from './partition-progress.js';
import { partitionOfStream } from './partitions.js';
import { pause, retryDelay } from './retry.js';

/** What delivery needs of the store: parking, replay requests, the handler's transaction, reading back a parked event, and the gateway's recordings. */
export interface DeliveryStore extends Pick<EventStore, 'recordings' | 'sql'> {
  readonly consumers: Pick<ConsumerStore, 'park' | 'removeParked' | 'replayRequests' | 'transact'>;
  readAll: EventStore['readAll'];
}

export type DeliveryOptions = Pick<
  SettledConsumerOptions,
  'name' | 'member' | 'handler' | 'transaction' | 'retry' | 'onFailure' | 'partitions' | 'grouped'
>;

// replay requests are read this many at a time
const REPLAY_BATCH = 100;

/**
 * Hands events to the consumer's handler: retries a failing one with backoff,
 * then parks its event (or faults the consumer under `onFailure: 'stop'`), and
 * hands parked events marked for replay over again.
 */
export class Delivery {
  readonly #store: DeliveryStore;
  readonly #progress: PartitionProgress;
  readonly #options: DeliveryOptions;
  readonly #stopping: AbortSignal;
  /** Per held partition's signal: aborted when the consumer stops or the partition goes, so a handler and its retries give up. */
  readonly #signals = new WeakMap<AbortSignal, AbortSignal>();
  /** Whose gateway answers the handler gets, and where they are kept. */
  readonly #owner: string;
  readonly #recordings: GatewayRecordings | undefined;
  #replayDue = true;

  /** `stopping` aborts when the consumer stops: retries give up and handlers are told. */
  constructor(store: DeliveryStore, progress: PartitionProgress, options: DeliveryOptions, stopping: AbortSignal) {
    this.#store = store;
    this.#progress = progress;
    this.#options = options;
    this.#stopping = stopping;
    this.#owner = consumerOwner(options.name);
    this.#recordings = recordingsOf(store);
  }

  /** True when parked events may be waiting for replay. */
  get replayDue(): boolean {
    return this.#replayDue;
  }

  partitionOf(stream: string): number {
    const { partitions } = this.#options;
    return partitions === 1 ? 0 : partitionOfStream(stream, partitions);
  }

  /**
   * Hands one event to the handler. The common case is kept cheap: a handler
   * that returns no promise makes this return undefined, and costs no await.
   * Otherwise the promise settles once the event is handled or parked, and
   * rejects when the consumer must stop (HANDLER_FAILED, a stop during retries).
   */
  deliver(event: RecordedEvent, partition: number): Promise<void> | undefined {
    let result: unknown;
    try {
      result = this.#handle(event, this.#context(1, partition, false));
    } catch (error) {
      return this.#retry(event, partition, 0, { error }).then(() => undefined);
    }
    if (!isPromiseLike(result)) return undefined;
    return Promise.resolve(result).then(
      () => undefined,
      (error: unknown) => this.#retry(event, partition, 0, { error }).then(() => undefined),
    );
  }

  /**
   * Runs the transaction handler on the events of a page this member handles,
   * moving checkpoints as if it had read `through`. When the batch fails, its
   * events are handled one at a time, with retries, to find the one that
   * fails. False when `interrupted` stopped it early.
   */
  async deliverBatch(events: readonly RecordedEvent[], through: number, interrupted: () => boolean): Promise<boolean> {
    try {
      await this.#transact(events, through, 1, false);
    } catch (error) {
      if (isTributaryError(error, 'CHECKPOINT_LOST')) throw error;
      for (const event of events) {
        if (interrupted()) return false;
        await this.#retry(event, this.partitionOf(event.stream));
        this.#progress.advance(event.position);
      }
    }
    return true;
  }

  /** Looks for parked events marked for replay (a heartbeat asks). */
  async lookForReplays(): Promise<boolean> {
    this.#replayDue ||= (await this.#store.consumers.replayRequests(this.#options.name, 1)).length > 0;
    return this.#replayDue;
  }

  /** Handles parked events marked for replay that belong to partitions this member holds. */
  async replayParked(): Promise<void> {
    this.#replayDue = false;
    const { consumers } = this.#store;
    const { name, onFailure, retry } = this.#options;
    const requests = await consumers.replayRequests(name, REPLAY_BATCH);
    let mine = 0;
    for (const request of requests) {
      if (this.#stopping.aborted) return;
      const partition = this.partitionOf(request.stream);
      if (!this.#progress.owned.has(partition)) continue;
      mine++;
      const [event] = (await this.#store.readAll({ after: request.position - 1, limit: 1 })).events;
      // scavenged since it was parked: nothing is left to handle
      if (event?.position !== request.position) {
        await consumers.removeParked(name, [request.position]);
        continue;
      }
      const handled = await this.#retry(event, partition, request.attempts, undefined, 'redelivery').catch((error: unknown) => {
        if (isTributaryError(error, 'HANDLER_FAILED')) return false;
        throw error;
      });
      if (handled) await consumers.removeParked(name, [request.position]);
      else if (onFailure === 'stop') await consumers.park(name, { ...request, attempts: request.attempts + retry.attempts });
    }
    // more may wait behind this batch; requests for other members' partitions are theirs to take
    if (requests.length === REPLAY_BATCH && mine > 0) this.#replayDue = true;
  }

  /**
   * Calls the handler until it succeeds or the attempts run out, then parks
   * the event (false) or faults. `firstFailure` is the first call's, made by
   * `deliver`; `previousAttempts` were counted when it was parked before;
   * `replay` is 'redelivery' for a parked event handled again.
   */
  async #retry(event: RecordedEvent, partition: number, previousAttempts = 0, firstFailure?: { error: unknown }, replay: ReplayMode = false): Promise<boolean> {
    const { retry } = this.#options;
    const signal = this.#signalOf(partition);
    let lastError: unknown;
    let attempt = 1;
    if (firstFailure !== undefined) {
      lastError = firstFailure.error;
      if (retry.attempts > 1 && !(await pause(retryDelay(retry, 1), signal))) throw this.#gaveUp(partition, lastError);
      attempt = 2;
    }
    for (; attempt <= retry.attempts; attempt++) {
      try {
        const again = attempt > 1 ? 'redelivery' : replay;
        if (this.#options.transaction !== undefined) await this.#transact([event], event.position, attempt, again);
        else await this.#handle(event, this.#context(attempt, partition, again));
        return true;
      } catch (error) {
        if (isTributaryError(error, 'CHECKPOINT_LOST')) throw error;
        lastError = error;
        if (attempt < retry.attempts && !(await pause(retryDelay(retry, attempt), signal))) throw this.#gaveUp(partition, error);
      }
      if (signal.aborted) throw this.#gaveUp(partition, lastError);
    }
    return this.#giveUp(event, previousAttempts + retry.attempts, lastError);
  }

  /** Why retries stopped early: the consumer is stopping (the handler's error), or the partition went to another member. */
  #gaveUp(partition: number, lastError: unknown): unknown {
    if (this.#stopping.aborted) return lastError;
    return checkpointLost(this.#options.name, this.#options.member, [partition]);
  }

  async #giveUp(event: RecordedEvent, attempts: number, lastError: unknown): Promise<false> {
    const { name } = this.#options;
    const message = describeError(lastError);
    if (this.#options.onFailure === 'stop') {
      throw new TributaryError(
        'HANDLER_FAILED',
        `consumer ${name} failed on event ${event.position} (${event.type} in ${event.stream}) ${attempts} times: ${message}`,
        { consumer: name, position: event.position, stream: event.stream, attempts, error: message },
        { cause: lastError },
      );
    }
    await this.#store.consumers.park(name, { position: event.position, eventId: event.id, stream: event.stream, type: event.type, error: message, attempts });
    return false;
  }

  /** Runs the transaction handler on `events`, committing checkpoints as if the cursor were at `through`. */
  async #transact(events: readonly RecordedEvent[], through: number, attempt: number, replay: ReplayMode): Promise<void> {
    const progress = this.#progress;
    const checkpoints = progress.checkpoints().map(({ partition }) => ({ partition, position: Math.max(progress.progressOf(partition), through) }));
    const context = this.#context(attempt, events[0] === undefined ? 0 : this.partitionOf(events[0].stream), replay);
    // the gateway records in the handler's transaction: a recording commits with the effects it answered
    const handling = { owner: this.#owner, event: undefined, batch: events, replay, recordings: undefined };
    await this.#store.consumers.transact!((tx) => runHandling({ ...handling, recordings: recordingsIn(tx) }, () => this.#options.transaction!(events, tx, context)), {
      consumer: this.#options.name,
      checkpoints,
      owner: this.#options.grouped ? this.#options.member : undefined,
    });
  }

  /** Calls the handler inside the event's handling, so the gateway knows whose answers it keeps. */
  #handle(event: RecordedEvent, context: HandlerContext): unknown {
    return runHandling({ owner: this.#owner, event, replay: context.replay, recordings: this.#recordings }, () => this.#options.handler!(event, context));
  }

  #context(attempt: number, partition: number, replay: ReplayMode): HandlerContext {
    return { attempt, partition, member: this.#options.member, signal: this.#signalOf(partition), replay };
  }

  #signalOf(partition: number): AbortSignal {
    const held = this.#progress.heldSignal(partition);
    let signal = this.#signals.get(held);
    if (signal === undefined) {
      signal = AbortSignal.any([this.#stopping, held]);
      // every event in hand under a window listens to its partition's signal
      setMaxListeners(0, signal);
      this.#signals.set(held, signal);
    }
    return signal;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** An error as text for the parked list and the consumer's fault: its stack when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
