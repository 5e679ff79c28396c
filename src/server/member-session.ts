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
  /** The most events sent and not yet acknowledged, never two of one stream. */
  window: number;
}

/** What a member says of the events it was sent: those it handled, and those it failed with why. */
export interface Acknowledgements {
  acks: readonly number[];
  nacks: readonly { position: number; error: string }[];
}

interface InFlight {
  event: RecordedEvent;
  settle: (failure: string | undefined) => void;
}

/**
 * A group member run by the server for a client that only speaks HTTP: the
 * server holds the member's place in the group (leases, partitions,
 * checkpoints, retries, parking) and sends the client up to `window` events
 * at once over server-sent events, never two of one stream, so each stream
 * stays in order; the client acknowledges them, in batches if it likes.
 */
export class MemberSession {
  readonly key: string;
  readonly member: string;
  readonly #options: MemberSessionOptions;
  readonly #store: EventStore;
  readonly #outbox: InFlight[] = [];
  readonly #inFlight = new Map<number, InFlight>();
  #wakeReader: (() => void) | undefined;
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
    const { name, member, partitions, start, filter, window } = this.#options;
    // gone (or the server closing) before it started: no consumer to start and stop again
    if (signal.aborted) return;
    this.#consumer = await startConsumer(this.#store, {
      name,
      member,
      group: { partitions },
      start,
      filter,
      window,
      handler: (event, context) => this.#handOver(event, context.signal, signal),
    });
    signal.addEventListener('abort', () => this.#wakeReader?.(), { once: true });
    try {
      while (!signal.aborted) {
        const sending = this.#outbox.shift();
        // settled before it was sent (its partition moved, or the consumer stops): nothing to send
        if (sending !== undefined && this.#inFlight.get(sending.event.position) !== sending) continue;
        if (sending !== undefined) {
          yield { kind: 'event', event: sending.event };
          continue;
        }
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
        this.#wakeReader = undefined;
      }
    } finally {
      for (const inFlight of [...this.#inFlight.values()]) inFlight.settle('the member disconnected');
      await this.#consumer.stop();
    }
  }

  /**
   * Settles events in flight: `acks` were handled, `nacks` failed (retried,
   * then parked). All or nothing: when one is not in flight for this member
   * (never sent, already settled, timed out, or its partition moved), none is
   * settled.
   */
  acknowledge({ acks, nacks }: Acknowledgements): void {
    const positions = [...acks, ...nacks.map((nack) => nack.position)];
    if (new Set(positions).size !== positions.length) {
      throw invalidArgument('acks', 'a position may be acknowledged once per request, in acks or in nacks');
    }
    const missing = positions.filter((position) => !this.#inFlight.has(position));
    if (missing.length > 0) {
      const { name, member } = this.#options;
      throw new TributaryError(
        'EVENT_NOT_IN_FLIGHT',
        `member ${JSON.stringify(member)} of ${name} has no event in flight at ${missing.join(', ')} (never sent, already settled, timed out, or its partition moved); nothing was settled`,
        { consumer: name, member, positions: missing },
      );
    }
    for (const position of acks) this.#inFlight.get(position)!.settle(undefined);
    for (const { position, error } of nacks) this.#inFlight.get(position)!.settle(error);
  }

  /** The consumer's handler: send the event, wait for its acknowledgement; `moved` aborts when the consumer stops or its partition goes. */
  #handOver(event: RecordedEvent, moved: AbortSignal, gone: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(`not acknowledged within ${this.#options.ackTimeoutMs} ms`), this.#options.ackTimeoutMs);
      const onMoved = () => settle('its partition moved to another member, or the member stops');
      const settle = (failure: string | undefined) => {
        clearTimeout(timer);
        moved.removeEventListener('abort', onMoved);
        if (this.#inFlight.get(event.position) === inFlight) this.#inFlight.delete(event.position);
        if (failure === undefined) resolve();
        else reject(deliveryFailed(this.#options, event.position, failure));
      };
      const inFlight: InFlight = { event, settle };
      if (gone.aborted) return settle('the member disconnected');
      if (moved.aborted) return onMoved();
      moved.addEventListener('abort', onMoved, { once: true });
      this.#inFlight.set(event.position, inFlight);
      this.#outbox.push(inFlight);
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
