// What bench/http.ts and its two child processes (http-load-child.ts, http-sse-child.ts) say to each
// other, one JSON object a line, and the small helpers they share.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One timed run of the load client: `concurrency` keep-alive connections, each POSTing `batch` events per request in a loop. */
export interface LoadCommand {
  port: number;
  concurrency: number;
  batch: number;
  streams: number;
  warmUpSeconds: number;
  seconds: number;
}

/** Requests that completed inside the measured window, and their latencies. */
export interface LoadResult {
  requests: number;
  events: number;
  seconds: number;
  /** Requests answered with anything but 201, or that failed. */
  errors: number;
  p50: number;
  p99: number;
}

export interface SseConfig {
  port: number;
  after: number;
  subscribers: number;
  events: number;
}

/** Sent by the SSE child once every subscriber has seen `caught-up`. */
export interface SseReady {
  ready: true;
  /** Milliseconds from the first connection to the last `caught-up`. */
  connectMs: number;
}

export interface SseResult {
  /** Measured events each subscriber received, lowest and highest. */
  minReceived: number;
  maxReceived: number;
  totalReceived: number;
  /** Subscribers that saw a position twice, out of order, an `event: error`, or lost their connection. */
  faulty: number;
  p50: number;
  p99: number;
  max: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The value at quantile `p` of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Lines a child writes on its stdout, parsed as JSON, one at a time. */
export function jsonLines(child: ChildProcess): () => Promise<unknown> {
  const queue: string[] = [];
  const waiting: { resolve: (line: unknown) => void; reject: (error: Error) => void }[] = [];
  let ended = false;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next === undefined) queue.push(line);
    else next.resolve(JSON.parse(line));
  });
  lines.once('close', () => {
    ended = true;
    for (const next of waiting.splice(0)) next.reject(new Error('the child process ended before answering'));
  });
  return () => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    if (ended) return Promise.reject(new Error('the child process ended before answering'));
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}
