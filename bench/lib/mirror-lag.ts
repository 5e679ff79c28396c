// Live lag at a steady append rate: an appender writes a fresh SQLite source at `rate` events/s, `perAppend` events
// per append, recording when each position's append was acknowledged; a follower in another process (a mirror
// into PostgreSQL, or a plain subscription on the source) makes each position visible; lag = visible − acked.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { Figures } from './interleave.js';
import { payload } from './scenarios.js';

export interface LagRun {
  /** A SQLite file that does not exist yet. */
  source: string;
  /** `mirror`: a mirror into `target` (an empty store's location), watched there; `subscribe`: a live subscription on the source. */
  follower: { mode: 'mirror'; target: string } | { mode: 'subscribe' };
  seconds: number;
  rate: number;
  perAppend: number;
}

// how long the last events may take to show before the run counts as failed
const DRAIN_MS = 30_000;
const now = () => performance.timeOrigin + performance.now();

/** The lag of every position, in ms, sorted. */
export async function measureLag(run: LagRun): Promise<number[]> {
  const store = await openStore(run.source);
  const visible = new Map<number, number>();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'follower-child.ts'), JSON.stringify({ mode: run.follower.mode, source: run.source, ...(run.follower.mode === 'mirror' ? { target: run.follower.target } : {}) })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  let watcher: Promise<void> | undefined;
  let target: EventStore | undefined;
  const stopWatching = new AbortController();
  try {
    await followerReady(child, visible, exited);
    if (run.follower.mode === 'mirror') {
      target = await openStore(run.follower.target);
      watcher = watch(target, visible, stopWatching.signal);
    }
    const acked = await appendSteadily(store, run);
    const deadline = Date.now() + DRAIN_MS;
    while (visible.size < acked.size && Date.now() < deadline) await sleep(10);
    if (visible.size < acked.size) throw new Error(`${run.follower.mode}: ${acked.size - visible.size} of ${acked.size} events were not visible ${DRAIN_MS / 1000} s after the last append`);
    return [...acked].map(([position, at]) => visible.get(position)! - at).sort((a, b) => a - b);
  } finally {
    stopWatching.abort();
    await watcher;
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await target?.close();
    await store.close();
  }
}

/** Waits for the follower's "ready"; a subscription's later lines record when it saw each position. */
async function followerReady(child: ChildProcess, visible: Map<number, number>, exited: Promise<unknown>): Promise<void> {
  const lines = createInterface({ input: child.stdout! });
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  lines.on('line', (line) => {
    if (line === 'ready') return ready();
    const [position, at] = line.split(' ').map(Number);
    visible.set(position!, at!);
  });
  await Promise.race([isReady, exited.then(() => Promise.reject(new Error(`the follower exited with ${child.exitCode} before it followed`)))]);
}

/** Records when each position becomes readable on `target`, until `signal`. */
async function watch(target: EventStore, visible: Map<number, number>, signal: AbortSignal): Promise<void> {
  let seen = await target.headPosition();
  while (!signal.aborted) {
    const head = await target.waitForPosition(seen, { timeoutMs: 1000 });
    const at = now();
    for (let position = seen + 1; position <= head; position++) visible.set(position, at);
    seen = Math.max(seen, head);
  }
}

/** Appends on a fixed schedule (appends are not awaited one by one, so a slow one does not shift the rest); answers ack times by position. */
async function appendSteadily(store: EventStore, run: LagRun): Promise<Map<number, number>> {
  const acked = new Map<number, number>();
  const intervalMs = (1000 * run.perAppend) / run.rate;
  const appends = Math.round((run.seconds * run.rate) / run.perAppend);
  const pending: Promise<void>[] = [];
  const start = now();
  for (let k = 0; k < appends; k++) {
    const wait = start + k * intervalMs - now();
    if (wait > 0) await sleep(wait);
    const events = Array.from({ length: run.perAppend }, (_, n) => ({ type: 'Ticked', data: payload(k * run.perAppend + n) }));
    pending.push(
      store.append(`lag-${k % 10}`, events).then((result) => {
        const at = now();
        for (const event of result.events) acked.set(event.position, at);
      }),
    );
  }
  await Promise.all(pending);
  return acked;
}

/** p50, p99 and max of sorted lags, as figures. */
export function lagFigures(sorted: number[]): Figures {
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
  return { p50: percentile(0.5), p99: percentile(0.99), max: sorted.at(-1)!, events: sorted.length };
}
