// The HTTP server on the embedded SQLite store, 1 KB events everywhere:
//  - single-event appends (POST /streams/{stream}, 100 streams) from C concurrent keep-alive
//    connections, each waiting for its answer before the next request: requests/s and latency
//    p50/p99, against a bare node:http server that reads the body, JSON.parses it and answers 201
//    with a small JSON body (same client, same concurrency), and against the same appends in-process:
//    C concurrent callers of store.append in this process (no HTTP). Targets: ≥ 0.6× the bare rate at
//    16 connections, p99 ≤ 10 ms at 64;
//  - batches of 100 events per POST from 8 connections: events/s, against the same two baselines;
//  - 100 SSE subscribers on GET /all/subscribe?after=<head>: once each has seen `caught-up`, 1,000
//    single-event appends by store.append in the server's process, one due every 2 ms (50 untimed
//    warm-up events first), each carrying the time its append began in data.sentAt; the figure is
//    that time to the moment a subscriber has parsed the message, over every subscriber × event.
//    Two appenders, one run each on a fresh server: one awaiting each append before the next is due
//    (closed loop: if the server falls behind, so does the schedule) and one starting each append
//    when due, whatever is in flight (open loop: the queue shows up as latency). Every subscriber must
//    receive every event, in order, once.
// The load client and the subscribers run in child processes (bench/lib/http-load-child.ts,
// bench/lib/http-sse-child.ts: one process each, holding all the connections) so that they do not
// share the server's event loop; on two cores they still share the CPU with it. Servers and stores
// run in this process, a fresh store in a temp directory per run. Each run measures the three
// (tributary, bare, in-process) once, in an order rotated run by run; rates are medians, ratios are
// taken within each run before their median, latencies are the median of the runs' percentiles. The
// SSE part is one run.
//   node --import tsx bench/http.ts
//   BENCH_RUNS=3 BENCH_SECONDS=3 BENCH_CONCURRENCY=16,64 BENCH_BATCH_CONNECTIONS=8
//   BENCH_SUBSCRIBERS=100 BENCH_SSE_EVENTS=1000 BENCH_ONLY=single,batch,sse (picks parts)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/backends/sqlite/sqlite-store.js';
import type { EventData } from '../src/core/event.js';
import { buildServer } from '../src/server/server.js';
import type { EventStore } from '../src/store/event-store.js';
import { jsonLines, now, percentile, type LoadCommand, type LoadResult, type SseReady, type SseResult } from './lib/http-protocol.js';
import { interleave, runsFromEnv, type Figures, type Runs } from './lib/interleave.js';
import { rate, table, times } from './lib/measure.js';
import { payload } from './lib/scenarios.js';

const RUNS = runsFromEnv(3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const WARM_UP_SECONDS = 0.5;
const CONCURRENCY = (process.env['BENCH_CONCURRENCY'] ?? '16,64').split(',').map(Number);
const BATCH = 100;
const BATCH_CONNECTIONS = Number(process.env['BENCH_BATCH_CONNECTIONS'] ?? 8);
const STREAMS = 100;
const SUBSCRIBERS = Number(process.env['BENCH_SUBSCRIBERS'] ?? 100);
const SSE_EVENTS = Number(process.env['BENCH_SSE_EVENTS'] ?? 1000);
const SSE_INTERVAL_MS = 2;
const SSE_WARM_UP_EVENTS = 50;
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'single,batch,sse').split(','));
/** The issue's targets: the rate against bare node:http at 16 connections, p99 at 64. */
const TARGETS: Record<number, { ratio?: number; p99?: number }> = { 16: { ratio: 0.6 }, 64: { p99: 10 } };

const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-http-'));
let stores = 0;
const children = new Set<ChildProcess>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function child(script: string, args: string[] = []): ChildProcess {
  const process_ = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib', script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(process_);
  process_.once('exit', () => children.delete(process_));
  return process_;
}

function exited(process_: ChildProcess): Promise<void> {
  return process_.exitCode !== null || process_.signalCode !== null ? Promise.resolve() : new Promise((resolve) => process_.once('exit', () => resolve()));
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh store and the Tributary server on it, listening on a free port, for the length of `body`. */
async function withTributary<T>(body: (port: number, store: EventStore) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ path: join(folder, `http-${stores++}.db`) });
  try {
    const app = await buildServer({ store, open: true, logger: false });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      return await body((app.server.address() as { port: number }).port, store);
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
  }
}

/** The baseline: node:http reading the body, JSON.parsing it and answering 201 with a small JSON body. */
async function withBare<T>(body: (port: number) => Promise<T>): Promise<T> {
  let position = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: unknown[] };
      position += events.length;
      const text = JSON.stringify({ stream: req.url!.slice('/streams/'.length), position, events: events.length });
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await body((server.address() as { port: number }).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The baseline without HTTP: `concurrency` callers of store.append in this process, each looping, on a fresh store. */
async function inProcess(concurrency: number, batch: number): Promise<LoadResult> {
  const store = openSqliteStore({ path: join(folder, `http-${stores++}.db`) });
  try {
    const events: EventData[] = Array.from({ length: batch }, (_, i) => ({ type: 'Deposited', data: payload(i) }));
    const measureFrom = performance.now() + WARM_UP_SECONDS * 1000;
    const measureUntil = measureFrom + SECONDS * 1000;
    const latencies: number[] = [];
    let next = 0;
    const caller = async () => {
      while (performance.now() < measureUntil) {
        const sent = performance.now();
        await store.append(`bench-${next++ % STREAMS}`, events);
        const done = performance.now();
        if (done >= measureFrom && done <= measureUntil) latencies.push(done - sent);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, caller));
    latencies.sort((a, b) => a - b);
    return { requests: latencies.length, events: latencies.length * batch, seconds: SECONDS, errors: 0, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
  } finally {
    await store.close();
  }
}

/** A load result as figures: requests and events per second, latencies, failed requests. */
function figuresOf(result: LoadResult): Figures {
  return { rate: result.requests / result.seconds, events: result.events / result.seconds, p50: result.p50, p99: result.p99, errors: result.errors };
}

/**
 * Appends `count` single events on a fixed schedule, one every SSE_INTERVAL_MS, each carrying the time
 * its append began. `awaitEach`: each append is awaited before the next is due (closed loop: a slow
 * server slows the appender down); otherwise each is started when due, whatever is still in flight
 * (open loop: a slow server builds a queue). Returns the appends completed per second.
 */
async function appendOnSchedule(store: EventStore, count: number, awaitEach: boolean, warmUp: boolean): Promise<number> {
  const start = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = start + i * SSE_INTERVAL_MS - performance.now();
    if (wait > 0) await sleep(wait);
    const appended = store.append(`sse-${i % STREAMS}`, [{ type: 'Pinged', data: warmUp ? { ...payload(i), sentAt: now(), warmUp } : { ...payload(i), sentAt: now() } }]);
    if (awaitEach) await appended;
    else inFlight.push(appended);
  }
  await Promise.all(inFlight);
  return count / ((performance.now() - start) / 1000);
}

async function sse(awaitEach: boolean): Promise<{ ready: SseReady; result: SseResult; appendRate: number }> {
  return withTributary(async (port, store) => {
    const after = await store.headPosition();
    const subscribers = child('http-sse-child.ts', [JSON.stringify({ port, after, subscribers: SUBSCRIBERS, events: SSE_EVENTS })]);
    const next = jsonLines(subscribers);
    try {
      const ready = (await within(next(), 60_000, 'subscribers catching up')) as SseReady;
      await appendOnSchedule(store, SSE_WARM_UP_EVENTS, awaitEach, true);
      await sleep(200);
      const appendRate = await appendOnSchedule(store, SSE_EVENTS, awaitEach, false);
      subscribers.stdin!.end('appended\n');
      const result = (await within(next(), 60_000, 'subscribers receiving every event')) as SseResult;
      await within(exited(subscribers), 10_000, 'the subscriber process exiting');
      return { ready, result, appendRate };
    } finally {
      if (subscribers.exitCode === null) subscribers.kill();
    }
  });
}

interface LoadClient {
  run(command: Pick<LoadCommand, 'concurrency' | 'batch'>, port: number): Promise<LoadResult>;
  close(): Promise<void>;
}

/** The load client's process, kept for every run: one command line in, one result line out. */
function startLoadClient(): LoadClient {
  const client = child('http-load-child.ts');
  const next = jsonLines(client);
  return {
    async run(command, port) {
      const full: LoadCommand = { ...command, port, streams: STREAMS, warmUpSeconds: WARM_UP_SECONDS, seconds: SECONDS };
      client.stdin!.write(`${JSON.stringify(full)}\n`);
      return (await within(next(), (WARM_UP_SECONDS + SECONDS) * 1000 + 60_000, 'the load client')) as LoadResult;
    },
    async close() {
      client.stdin!.end();
      await within(exited(client), 10_000, 'the load client exiting');
    },
  };
}

const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
const print = (...parts: string[]) => console.log(parts.join('\n'));
try {
  const load = ONLY.has('single') || ONLY.has('batch') ? startLoadClient() : undefined;

  /** Tributary over HTTP, bare node:http and the same appends in-process, measured in turns. */
  const threeWays = (concurrency: number, batch: number): Promise<Runs> =>
    interleave(RUNS, [
      { name: 'tributary', measure: async () => figuresOf(await withTributary((port) => load!.run({ concurrency, batch }, port))) },
      { name: 'bare', measure: async () => figuresOf(await withBare((port) => load!.run({ concurrency, batch }, port))) },
      { name: 'in-process', measure: async () => figuresOf(await inProcess(concurrency, batch)) },
    ]);
  const errorsOf = (runs: Runs) => [...runs.each('tributary', 'errors'), ...runs.each('bare', 'errors')].reduce((sum, n) => sum + n, 0);
  const perRun: string[] = [];
  const each = (runs: Runs, theirs: string, figure = 'rate') => runs.ratios('tributary', theirs, figure).map((value) => times(value)).join(' ');

  if (ONLY.has('single') && load !== undefined) {
    const rows: string[][] = [];
    const verdicts: string[] = [];
    let errors = 0;
    for (const concurrency of CONCURRENCY) {
      const runs = await threeWays(concurrency, 1);
      errors += errorsOf(runs);
      const vsBare = runs.ratio('tributary', 'bare');
      const p99 = runs.median('tributary', 'p99');
      rows.push([
        String(concurrency),
        rate(runs.median('tributary')),
        rate(runs.median('bare')),
        rate(runs.median('in-process')),
        times(vsBare),
        times(runs.ratio('tributary', 'in-process')),
        ms(runs.median('tributary', 'p50')),
        ms(p99),
        ms(runs.median('bare', 'p99')),
        ms(runs.median('in-process', 'p99')),
      ]);
      perRun.push(`${concurrency} connections, vs bare: ${each(runs, 'bare')}; vs in-process: ${each(runs, 'in-process')}`);
      const target = TARGETS[concurrency];
      if (target === undefined) continue;
      const missed = [
        ...(target.ratio !== undefined && (vsBare ?? 0) < target.ratio ? [`${times(vsBare)} < ${target.ratio.toFixed(2)}× bare`] : []),
        ...(target.p99 !== undefined && (p99 ?? Infinity) > target.p99 ? [`p99 ${ms(p99)} ms > ${target.p99} ms`] : []),
      ];
      const wanted = [
        ...(target.ratio === undefined ? [] : [`≥ ${target.ratio.toFixed(2)}× bare`]),
        ...(target.p99 === undefined ? [] : [`p99 ≤ ${target.p99} ms`]),
      ];
      verdicts.push(`${concurrency} connections (${wanted.join(', ')}) ${missed.length === 0 ? 'met' : `missed: ${missed.join(', ')}`}`);
    }
    print(
      `\nsingle-event appends over HTTP, requests/s (1 KB of data, ${STREAMS} streams, ${SECONDS} s after ${WARM_UP_SECONDS} s warm-up, ${RUNS} runs in turns; ratios are medians of each run's ratio; latencies in ms, median of the runs' percentiles)\n`,
      table(['connections', 'tributary', 'bare node:http', 'in-process', 'vs bare', 'vs in-process', 'tributary p50', 'tributary p99', 'bare p99', 'in-process p99'], rows),
      ...(verdicts.length > 0 ? [`\ntargets: ${verdicts.join('; ')}`] : []),
      ...(errors > 0 ? [`warning: ${errors} requests failed or were answered other than 201`] : []),
    );
  }

  if (ONLY.has('batch') && load !== undefined) {
    const runs = await threeWays(BATCH_CONNECTIONS, BATCH);
    perRun.push(`${BATCH} events per POST, vs bare: ${each(runs, 'bare', 'events')}; vs in-process: ${each(runs, 'in-process', 'events')}`);
    const errors = errorsOf(runs);
    print(
      `\nbatches of ${BATCH} events per append, events/s (1 KB of data each, ${BATCH_CONNECTIONS} connections or callers, ${SECONDS} s after ${WARM_UP_SECONDS} s warm-up, ${RUNS} runs in turns; latencies in ms)\n`,
      table(
        ['case', 'tributary HTTP', 'bare node:http', 'in-process', 'vs bare', 'vs in-process', 'tributary p50', 'tributary p99'],
        [
          [
            `${BATCH} events per POST`,
            rate(runs.median('tributary', 'events')),
            rate(runs.median('bare', 'events')),
            rate(runs.median('in-process', 'events')),
            times(runs.ratio('tributary', 'bare', 'events')),
            times(runs.ratio('tributary', 'in-process', 'events')),
            ms(runs.median('tributary', 'p50')),
            ms(runs.median('tributary', 'p99')),
          ],
        ],
      ),
      ...(errors > 0 ? [`warning: ${errors} requests failed or were answered other than 201`] : []),
    );
  }
  if (perRun.length > 0) print(`\ntributary's ratios, each run:`, ...perRun.map((line) => `  ${line}`));

  await load?.close();

  if (ONLY.has('sse')) {
    const rows: string[][] = [];
    const notes: string[] = [];
    for (const awaitEach of [true, false]) {
      const { ready, result, appendRate } = await sse(awaitEach);
      const all = result.minReceived === SSE_EVENTS && result.faulty === 0;
      rows.push([
        awaitEach ? 'each append awaited' : 'appends started when due',
        ms(result.p50),
        ms(result.p99),
        ms(result.max),
        rate(appendRate),
        `${result.minReceived.toLocaleString('en-US')}–${result.maxReceived.toLocaleString('en-US')}`,
        `${result.totalReceived.toLocaleString('en-US')} / ${(SUBSCRIBERS * SSE_EVENTS).toLocaleString('en-US')}`,
        all ? 'yes' : `NO (${result.faulty} subscribers faulty)`,
      ]);
      notes.push(`${Math.round(ready.connectMs)} ms`);
    }
    print(
      `\nSSE delivery latency, ms (${SUBSCRIBERS} subscribers on /all/subscribe in one child process; ${SSE_EVENTS.toLocaleString('en-US')} single-event appends by store.append in the server's process, one due every ${SSE_INTERVAL_MS} ms; from the start of each append until a subscriber has parsed the event)\n`,
      table(['appender', 'p50', 'p99', 'max', 'appends/s', 'received each (min–max)', 'received in all', 'all received'], rows),
      `\nall ${SUBSCRIBERS} subscribers connected and caught up in ${notes.join(' and ')}; the schedule asks for ${rate(1000 / SSE_INTERVAL_MS)} appends/s`,
    );
  }
} finally {
  for (const process_ of children) process_.kill();
  await Promise.all([...children].map(exited));
  rmSync(folder, { recursive: true, force: true });
}
