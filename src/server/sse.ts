import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { TributaryError } from '../core/errors.js';
import type { SubscriptionMessage } from '../subscriptions/log-subscription.js';
import { errorResponse } from './http-errors.js';
import type { SseOptions } from './limits.js';
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
  try {
    for await (const message of open(controller.signal)) {
      const text =
        message.kind === 'event'
          ? `id: ${message.event.position}\ndata: ${message.event.toJsonText()}\n\n`
          : `event: caught-up\nid: ${message.position}\ndata: {"position":${message.position}}\n\n`;
      if (!(await send(res, text, options, controller.signal))) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) res.write(`event: error\ndata: ${JSON.stringify(errorResponse(error).body)}\n\n`);
  } finally {
    clearInterval(heartbeat);
    res.off('close', close);
    unregister();
    res.end();
  }
}

/** Writes one message; false when the client is gone or was cut off for reading too slowly. */
async function send(res: ServerResponse, text: string, options: SseOptions, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (res.write(text)) return true;
  if (res.writableLength > options.maxBufferedBytes || !(await drained(res, options.heartbeatMs, signal))) {
    if (!signal.aborted) res.write(`event: error\ndata: ${JSON.stringify(errorResponse(tooSlow(res)).body)}\n\n`);
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
