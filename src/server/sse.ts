import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { TributaryError } from '../core/errors.js';
import type { SubscriptionMessage } from '../subscriptions/log-subscription.js';
import { errorResponse } from './http-errors.js';
import type { SseOptions } from './limits.js';
import { caughtUpMessage, eventMessage, type FeedMember, type LiveFeeds, type OpenSubscription } from './live-feeds.js';
import { leaveInFlight } from './overload.js';

/** Live subscribers, so that a closing server can end them cleanly and metrics can count them. */
export class SseRegistry {
  readonly #open = new Set<AbortController>();
  #closed = false;

  get size(): number {
    return this.#open.size;
  }

  add(controller: AbortController): () => void {
    // a stream whose request was already past routing when the server began closing ends at once too
    if (this.#closed) controller.abort();
    this.#open.add(controller);
    return () => this.#open.delete(controller);
  }

  closeAll(): void {
    this.#closed = true;
    for (const controller of this.#open) controller.abort();
  }
}

/**
 * Streams subscription messages as server-sent events: `id: <position>` and
 * the event JSON as data; `event: caught-up` at the switch to live; a comment
 * as heartbeat. The subscription reads only as fast as the socket drains, so
 * a slow client costs one bounded buffer; one that stops draining for longer
 * than the heartbeat interval, or lets `maxBufferedBytes` pile up, is cut off
 * with a SUBSCRIBER_TOO_SLOW event rather than holding anything up.
 */
export async function streamToClient(
  reply: FastifyReply,
  open: (signal: AbortSignal) => AsyncGenerator<SubscriptionMessage>,
  options: SseOptions,
  registry: SseRegistry,
): Promise<void> {
  const { res, signal, finish } = startStream(reply, options, registry);
  try {
    for await (const message of open(signal)) {
      const text = message.kind === 'event' ? eventMessage(message.event.position, message.event.toJsonText()) : caughtUpMessage(message.position);
      if (!(await send(res, text, options, signal))) break;
    }
  } catch (error) {
    if (!signal.aborted) res.write(errorMessage(error));
  } finally {
    finish();
  }
}

/**
 * Streams a subscription as {@link streamToClient} does, but once live through
 * the shared feed of `key` (a stream, or a filter): the feed reads each event
 * once and writes the same bytes to each of its subscribers. Until the feed
 * can take it without a gap, the subscriber reads alone, as fast as its
 * socket drains. One that falls more than a quarter of `maxBufferedBytes`
 * behind the feed is let go until its socket drains, and is cut off as
 * `streamToClient` cuts off a slow one when it does not.
 */
export async function streamThroughFeed(
  reply: FastifyReply,
  feed: { feeds: LiveFeeds; key: string; start: number; open: OpenSubscription },
  options: SseOptions,
  registry: SseRegistry,
): Promise<void> {
  const { feeds, key, open } = feed;
  const { res, signal, finish } = startStream(reply, options, registry);
  // at least the socket's high-water mark, so that a subscriber let go always has a drain to wait for
  const lagBytes = Math.max(options.maxBufferedBytes / 4, res.writableHighWaterMark);
  let after = feed.start;
  let caughtUpSent = false;
  try {
    for (;;) {
      if (!feeds.covers(key, after)) {
        const alone = await catchUpAlone(after, caughtUpSent);
        if (alone === undefined) return;
        ({ after, caughtUpSent } = alone);
      }
      let failure: { error: unknown } | undefined;
      const member: FeedMember = {
        after,
        caughtUpSent,
        deliver: (_position, message) => {
          res.write(message);
          return res.writableLength <= lagBytes;
        },
        caughtUp: () => {
          member.caughtUpSent = true;
          res.write(caughtUpMessage(member.after));
        },
        failed: (error) => (failure = { error }),
      };
      const left = await feeds.join(key, member, open, signal);
      ({ after, caughtUpSent } = member);
      if (failure !== undefined) throw failure.error;
      if (left === 'ended') return;
      // let go for lagging: it rejoins once its socket has drained, or is cut off as any slow subscriber
      if (!(await keepsUp(res, options, signal))) return;
    }
  } catch (error) {
    if (!signal.aborted) res.write(errorMessage(error));
  } finally {
    finish();
  }

  /** Reads on its own from `from` until a feed can take the subscriber, or it is live and nobody feeds its key; undefined once it has ended. */
  async function catchUpAlone(from: number, caughtUp: boolean): Promise<{ after: number; caughtUpSent: boolean } | undefined> {
    const own = new AbortController();
    const stop = () => own.abort();
    signal.addEventListener('abort', stop, { once: true });
    let position = from;
    let live = false;
    try {
      for await (const message of open(from, own.signal)) {
        if (message.kind === 'event') {
          if (!(await send(res, eventMessage(message.event.position, message.event.toJsonText()), options, signal))) return undefined;
          position = message.event.position;
        } else {
          position = Math.max(position, message.position);
          live = true;
          if (!caughtUp) {
            caughtUp = true;
            if (!(await send(res, caughtUpMessage(position), options, signal))) return undefined;
          }
        }
        if (feeds.covers(key, position) || (live && !feeds.has(key))) return { after: position, caughtUpSent: caughtUp };
      }
      return undefined;
    } finally {
      signal.removeEventListener('abort', stop);
      own.abort();
    }
  }
}

/** Hijacks the reply for server-sent events: the headers, the retry hint, heartbeats, and what ends it all. */
function startStream(reply: FastifyReply, options: SseOptions, registry: SseRegistry): { res: ServerResponse; signal: AbortSignal; finish: () => void } {
  const controller = new AbortController();
  const unregister = registry.add(controller);
  const res = reply.raw;
  reply.hijack();
  leaveInFlight(reply.request.raw);
  res.writeHead(200, {
    // headers hooks already set (CORS) go out too: a hijacked reply no longer sends them itself
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // nginx and similar proxies would otherwise buffer the stream
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');
  const close = () => controller.abort();
  // the response's close: it fires when the client goes away (the request's fires once its body is read)
  res.once('close', close);
  const heartbeat = setInterval(() => {
    if (res.writableLength < options.maxBufferedBytes) res.write(': heartbeat\n\n');
  }, options.heartbeatMs);
  return {
    res,
    signal: controller.signal,
    finish: () => {
      clearInterval(heartbeat);
      res.off('close', close);
      unregister();
      res.end();
    },
  };
}

function errorMessage(error: unknown): string {
  return `event: error\ndata: ${JSON.stringify(errorResponse(error).body)}\n\n`;
}

/** Writes one message; false when the client is gone or was cut off for reading too slowly. */
async function send(res: ServerResponse, text: string, options: SseOptions, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (res.write(text)) return true;
  return keepsUp(res, options, signal);
}

/** After writes the socket could not take at once: true once it drains; false, with SUBSCRIBER_TOO_SLOW sent, when too much is unsent or it does not drain within a heartbeat. */
async function keepsUp(res: ServerResponse, options: SseOptions, signal: AbortSignal): Promise<boolean> {
  if (res.writableLength > options.maxBufferedBytes || !(await drained(res, options.heartbeatMs, signal))) {
    if (!signal.aborted) res.write(errorMessage(tooSlow(res)));
    return false;
  }
  return true;
}

function drained(res: ServerResponse, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    res.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function tooSlow(res: ServerResponse): TributaryError {
  return new TributaryError('SUBSCRIBER_TOO_SLOW', 'the subscriber read too slowly and was cut off; reconnect with Last-Event-ID', {
    unsentBytes: res.writableLength,
  });
}
