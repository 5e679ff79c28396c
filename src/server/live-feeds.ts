import type { SubscriptionMessage } from '../subscriptions/log-subscription.js';

/** How many bytes of recent messages a feed keeps, so that a subscriber a little behind it can join without reading the log. */
export const FEED_WINDOW_BYTES = 1024 * 1024;

/** A subscription of the log from a position, as `subscribeToAll` or `subscribeToStream` give one. */
export type OpenSubscription = (after: number, signal: AbortSignal) => AsyncGenerator<SubscriptionMessage>;

/** A subscriber as a feed sees it: where it is, and where its messages go. */
export interface FeedMember {
  /** The last position sent to it; the feed sends only what comes after. */
  after: number;
  /** Whether it was told it is live (`event: caught-up`). */
  caughtUpSent: boolean;
  /** Writes an event's message; answers false when the subscriber is too far behind to stay, and the feed lets it go. */
  deliver(position: number, message: Buffer): boolean;
  /** Writes the caught-up marker at its `after`. */
  caughtUp(): void;
  /** The feed ended under it: the subscription failed with `error`. */
  failed(error: unknown): void;
}

/** The SSE message of one event: `id: <position>` and the event JSON as data. */
export function eventMessage(position: number, json: string): string {
  return `id: ${position}\ndata: ${json}\n\n`;
}

/** The SSE marker of the switch to live. */
export function caughtUpMessage(position: number): string {
  return `event: caught-up\nid: ${position}\ndata: {"position":${position}}\n\n`;
}

/**
 * The live subscriptions of one server, shared: subscribers of the same
 * stream or the same filter, once live, hang off one feed that reads the log
 * once and turns each event into its SSE message once, and writes those same
 * bytes to every subscriber. A subscriber starting further back catches up by
 * its own reads, then joins; one that falls behind the feed leaves it and
 * catches up alone again, so nobody waits for the slowest.
 */
export class LiveFeeds {
  readonly #feeds = new Map<string, LiveFeed>();
  readonly #windowBytes: number;

  constructor(windowBytes = FEED_WINDOW_BYTES) {
    this.#windowBytes = windowBytes;
  }

  /** Feeds reading now, one per stream or filter followed. */
  get size(): number {
    return this.#feeds.size;
  }

  /** True when a subscriber at `after` can join the feed of `key` without a gap. */
  covers(key: string, after: number): boolean {
    return this.#feeds.get(key)?.covers(after) ?? false;
  }

  /**
   * Puts `json` in place of the message kept for the event at `position` in
   * every feed's window, so that a subscriber joining later gets what the log
   * says now (a redacted event's marker) rather than the bytes sent before.
   */
  replace(position: number, json: string): void {
    const message = Buffer.from(eventMessage(position, json));
    for (const feed of this.#feeds.values()) feed.replace(position, message);
  }

  /** True when a live feed of `key` exists. */
  has(key: string): boolean {
    return this.#feeds.has(key);
  }

  /**
   * Joins `member` to the feed of `key`, started at `member.after` by `open`
   * when there is none. Synchronous up to the join, so no message falls
   * between the member's own reads and the feed's. Resolves when the member
   * leaves: `lagging` when it fell behind, `ended` when the feed ended or
   * `signal` aborted.
   */
  join(key: string, member: FeedMember, open: OpenSubscription, signal: AbortSignal): Promise<'lagging' | 'ended'> {
    let feed = this.#feeds.get(key);
    if (feed === undefined || !feed.covers(member.after)) {
      // a feed that cannot take it goes on for its own members: it stops when they leave
      const started = new LiveFeed(member.after, this.#windowBytes, () => {
        if (this.#feeds.get(key) === started) this.#feeds.delete(key);
      });
      this.#feeds.set(key, started);
      started.run(open);
      feed = started;
    }
    return feed.join(member, signal);
  }
}

interface Joined {
  member: FeedMember;
  leave: (why: 'lagging' | 'ended') => void;
}

/** One reader of the log for every subscriber of a stream or filter; it stops once nobody follows it. */
class LiveFeed {
  readonly #members = new Set<Joined>();
  readonly #window: { readonly position: number; message: Buffer }[] = [];
  readonly #windowBytes: number;
  readonly #controller = new AbortController();
  readonly #ended: () => void;
  #bytes = 0;
  // every message after this position is in the window
  #windowStart: number;
  #tail: number;
  #caughtUp = false;
  // failed or stopped: nobody joins it any more
  #over = false;

  constructor(start: number, windowBytes: number, ended: () => void) {
    this.#windowStart = start;
    this.#tail = start;
    this.#windowBytes = windowBytes;
    this.#ended = ended;
  }

  covers(after: number): boolean {
    return !this.#over && after >= this.#windowStart;
  }

  join(member: FeedMember, signal: AbortSignal): Promise<'lagging' | 'ended'> {
    return new Promise((resolve) => {
      const joined: Joined = {
        member,
        leave: (why) => {
          if (!this.#members.delete(joined)) return;
          signal.removeEventListener('abort', onAbort);
          resolve(why);
          if (this.#members.size === 0) this.#stop();
        },
      };
      const onAbort = () => joined.leave('ended');
      this.#members.add(joined);
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      for (const { position, message } of this.#window) if (!this.#send(joined, position, message)) return;
      member.after = Math.max(member.after, this.#tail);
      if (this.#caughtUp && !member.caughtUpSent) member.caughtUp();
    });
  }

  run(open: OpenSubscription): void {
    void this.#follow(open);
  }

  async #follow(open: OpenSubscription): Promise<void> {
    try {
      for await (const message of open(this.#tail, this.#controller.signal)) {
        if (message.kind === 'event') this.#publish(message.event.position, Buffer.from(eventMessage(message.event.position, message.event.toJsonText())));
        else this.#live(message.position);
      }
    } catch (error) {
      this.#over = true;
      for (const joined of [...this.#members]) {
        joined.member.failed(error);
        joined.leave('ended');
      }
    } finally {
      this.#stop();
      for (const joined of [...this.#members]) joined.leave('ended');
    }
  }

  #publish(position: number, message: Buffer): void {
    this.#window.push({ position, message });
    this.#bytes += message.length;
    while (this.#bytes > this.#windowBytes && this.#window.length > 1) {
      const dropped = this.#window.shift()!;
      this.#bytes -= dropped.message.length;
      this.#windowStart = dropped.position;
    }
    this.#tail = position;
    for (const joined of this.#members) this.#send(joined, position, message);
  }

  replace(position: number, message: Buffer): void {
    const kept = this.#window.find((entry) => entry.position === position);
    if (kept === undefined) return;
    this.#bytes += message.length - kept.message.length;
    kept.message = message;
  }

  #live(position: number): void {
    this.#caughtUp = true;
    this.#tail = Math.max(this.#tail, position);
    for (const { member } of this.#members) {
      member.after = Math.max(member.after, position);
      if (!member.caughtUpSent) member.caughtUp();
    }
  }

  /** Sends a message to a member that has not had it; false when the member fell behind and left. */
  #send(joined: Joined, position: number, message: Buffer): boolean {
    if (position <= joined.member.after) return true;
    joined.member.after = position;
    if (joined.member.deliver(position, message)) return true;
    joined.leave('lagging');
    return false;
  }

  #stop(): void {
    this.#over = true;
    if (this.#controller.signal.aborted) return;
    this.#controller.abort();
    this.#ended();
  }
}
