import type { IncomingMessage } from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { TributaryError, invalidArgument } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served even when the server is overloaded: health checks and metrics must answer most when it is. */
    alwaysServed?: boolean;
  }
}

/** When the server stops taking new requests: beyond these it answers 503 OVERLOADED with Retry-After at once, instead of queueing. */
export interface OverloadLimits {
  /** Requests handled at once (a live stream counts only until its first byte); one more is refused; default 512. */
  maxInFlight: number;
  /** How late the event loop may run (the worst of the last half second or so) before new requests are refused; default 1,000 ms; 0 turns the check off. */
  maxEventLoopDelayMs: number;
  /** The `Retry-After` of a refusal, in seconds; default 1. */
  retryAfterSeconds: number;
}

export const DEFAULT_OVERLOAD: OverloadLimits = { maxInFlight: 512, maxEventLoopDelayMs: 1_000, retryAfterSeconds: 1 };

/** `limits` over the defaults (an option given as undefined keeps its default); INVALID_ARGUMENT for one that is not a whole number in range. */
export function overloadLimits(limits: Partial<OverloadLimits> = {}): OverloadLimits {
  const given = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  const resolved: OverloadLimits = { ...DEFAULT_OVERLOAD, ...given };
  for (const [name, value] of Object.entries(resolved)) {
    const least = name === 'maxEventLoopDelayMs' ? 0 : 1;
    if (!(Number.isSafeInteger(value) && value >= least)) throw invalidArgument(name, `must be a whole number >= ${least}, got ${String(value)}`);
  }
  return resolved;
}

// the event loop is sampled this often; a sample is late by what ran in between
const DELAY_RESOLUTION_MS = 20;
const DELAY_WINDOW_MS = 500;

// what ends a request's count, by request, so that a live stream can end it when it starts streaming
const releases = new WeakMap<IncomingMessage, () => void>();

/**
 * Bounds the work the server holds: a request beyond `maxInFlight`, or one
 * that arrives while the event loop runs later than `maxEventLoopDelayMs`, is
 * answered 503 OVERLOADED with `Retry-After` before anything reads its body
 * or the database. Nothing queues: a saturated server answers fast and keeps
 * its memory and latency, and clients back off. Routes marked `alwaysServed`
 * (health, metrics, the OpenAPI document) are never refused.
 */
export function shedOverload(app: FastifyInstance, limits: OverloadLimits): void {
  let inFlight = 0;
  const delay = limits.maxEventLoopDelayMs > 0 ? eventLoopDelay() : undefined;
  app.addHook('onClose', async () => delay?.stop());
  // a callback hook: it runs on every request
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.alwaysServed === true) {
      done();
      return;
    }
    const refusal =
      inFlight >= limits.maxInFlight
        ? overloaded('in-flight', `${inFlight} requests are in flight, as many as this server takes`, limits.maxInFlight, limits)
        : delay !== undefined && delay.lateMs() > limits.maxEventLoopDelayMs
          ? overloaded('event-loop-delay', `the event loop runs ${Math.round(delay.lateMs())} ms late`, limits.maxEventLoopDelayMs, limits)
          : undefined;
    if (refusal !== undefined) {
      void reply.header('retry-after', String(limits.retryAfterSeconds));
      done(refusal);
      return;
    }
    inFlight++;
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      inFlight--;
      releases.delete(request.raw);
    };
    releases.set(request.raw, release);
    reply.raw.once('finish', release).once('close', release);
    done();
  });
}

/** A live stream stops counting as in flight once it streams: it holds a socket, not a share of the server's work. */
export function leaveInFlight(request: IncomingMessage): void {
  releases.get(request)?.();
}

function overloaded(reason: string, what: string, limit: number, limits: OverloadLimits): TributaryError {
  return new TributaryError('OVERLOADED', `the server is overloaded (${what}); retry in ${limits.retryAfterSeconds} s`, {
    reason,
    limit,
    retryAfterSeconds: limits.retryAfterSeconds,
  });
}

/** How late the event loop ran at worst over the last window or so, in ms, from perf_hooks' sampler: cheap enough to ask on every request. */
function eventLoopDelay(): { lateMs: () => number; stop: () => void } {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  histogram.enable();
  // a sample spans the resolution plus the lateness
  const lateNow = () => (histogram.count === 0 ? 0 : Math.max(0, histogram.max / 1e6 - DELAY_RESOLUTION_MS));
  let lastWindow = 0;
  const window = setInterval(() => {
    lastWindow = lateNow();
    histogram.reset();
  }, DELAY_WINDOW_MS);
  window.unref();
  return {
    // the window just closed as well as the one under way, so a stall counts from its first sample, whenever the window turns
    lateMs: () => Math.max(lastWindow, lateNow()),
    stop: () => {
      clearInterval(window);
      histogram.disable();
    },
  };
}
