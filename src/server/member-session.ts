import { TributaryError, invalidArgument } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import type { EventStore, LogFilter } from '../store/event-store.js';
import { startConsumer, type Consumer } from '../subscriptions/consumer.js';
import type { SubscriptionMessage } from '../subscriptions/log-subscription.js';

export interface MemberSessionOptions {
  name: string;
  member: string;
  partitions: number;
  start: 'beginning' | 'end' | number;
  filter: LogFilter;
  /** An event not acknowledged this long counts as failed (and is retried, then parked). */
  ackTimeoutMs: number;
}

interface InFlight {
  position: number;
  settle: (failure: string | undefined) => void;
}

/**
 * A group member run by the server for a client that only speaks HTTP: the
 * server holds the member's place in the group (leases, partitions,
 * checkpoints, retries, parking) and hands the client one event at a time
 * over server-sent events; the client answers each with an acknowledgement.
 * One event in flight keeps each stream in order.
 */
export class MemberSession {
  readonly key: string;
  readonly member: string;
  readonly #options: MemberSessionOptions;
  readonly #store: EventStore;
  readonly #outbox: RecordedEvent[] = [];
  #wakeReader: (() => void) | undefined;
  #inFlight: InFlight | undefined;
  #consumer: Consumer | undefined;

  constructor(store: EventStore, options: MemberSessionOptions) {
    this.#store = store;
    this.#options = options;
    this.key = sessionKey(options.name, options.member);
    this.member = options.member;
  }

  /** The filter the member's group reads. */
  get filter(): LogFilter {
    return this.#options.filter;
  }

  /** Joins the group and yields the events to send, until `signal` aborts (the client went away). */
  async *messages(signal: AbortSignal): AsyncGenerator<SubscriptionMessage> {
    const { name, member, partitions, start, filter } = this.#options;
    // gone (or the server closing) before it started: no consumer to start and stop again
    if (signal.aborted) return;
    this.#consumer = await startConsumer(this.#store, {
      name,
      member,
      group: { partitions },
      start,
      filter,
      handler: (event) => this.#handOver(event, signal),
    });
    signal.addEventListener('abort', () => this.#wakeReader?.(), { once: true });
    try {
      while (!signal.aborted) {
        const event = this.#outbox.shift();
        if (event !== undefined) {
          yield { kind: 'event', event };
          continue;
        }
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
        this.#wakeReader = undefined;
      }
    } finally {
      this.#inFlight?.settle('the member disconnected');
      await this.#consumer.stop();
    }
  }

  /** Settles the event in flight: `failure` undefined when the client handled it. */
  acknowledge(position: number, failure: string | undefined): void {
    const inFlight = this.#inFlight;
    if (inFlight?.position !== position) {
      throw invalidArgument('position', `event ${position} is not the one in flight for ${this.#options.member}${inFlight === undefined ? ' (none is)' : ` (${inFlight.position} is)`}`);
    }
    inFlight.settle(failure);
  }

  /** The consumer's handler: send the event, wait for its acknowledgement. */
  #handOver(event: RecordedEvent, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(`not acknowledged within ${this.#options.ackTimeoutMs} ms`), this.#options.ackTimeoutMs);
      const settle = (failure: string | undefined) => {
        clearTimeout(timer);
        this.#inFlight = undefined;
        if (failure === undefined) resolve();
        else reject(deliveryFailed(this.#options, event.position, failure));
      };
      if (signal.aborted) return settle('the member disconnected');
      this.#inFlight = { position: event.position, settle };
      this.#outbox.push(event);
      this.#wakeReader?.();
    });
  }
}

function deliveryFailed({ name, member }: MemberSessionOptions, position: number, reason: string): TributaryError {
  return new TributaryError('DELIVERY_FAILED', `member ${JSON.stringify(member)} did not handle event ${position}: ${reason}`, {
    consumer: name,
    member,
    position,
    reason,
  });
}

export function sessionKey(name: string, member: string): string {
  return `${name}\u0000${member}`;
}

/** The members this server runs for HTTP clients; a member name is held by one open stream at a time. */
export class MemberSessions {
  readonly #open = new Map<string, MemberSession>();
  #idle: (() => void) | undefined;

  /** Holds the member's name until the returned function is called, once its stream has ended and its consumer stopped. */
  open(session: MemberSession): () => void {
    if (this.#open.has(session.key)) {
      throw new TributaryError('CONSUMER_CONFLICT', 'this member already has an open stream on this server; pick another member name', {
        member: session.member,
      });
    }
    this.#open.set(session.key, session);
    return () => {
      this.#open.delete(session.key);
      if (this.#open.size === 0) this.#idle?.();
    };
  }

  /**
   * Resolves once no member stream is open, so every member's consumer has
   * stopped: a closing server waits for this, and its store outlives them all.
   */
  async drained(): Promise<void> {
    if (this.#open.size === 0) return;
    await new Promise<void>((resolve) => (this.#idle = resolve));
  }

  find(name: string, member: string): MemberSession | undefined {
    return this.#open.get(sessionKey(name, member));
  }
}
