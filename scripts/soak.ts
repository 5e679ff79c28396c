// The mixed-load soak of a server:
//   npm run soak -- --minutes N [--fraction 0.8] [--postgres] [--window-seconds 30] [--saturation-seconds 10]
// It starts `tributary serve` in a process of its own, measures its saturation (single-event appends of 1 KB
// over 16 connections), then runs the mix at that fraction of it: appends, reads, 50 SSE subscribers, an HTTP
// consumer group of two members and a projection. Every window it prints appends/s, append p50/p99, the
// server's RSS, subscriber, group and projection lag; at the end saturation again with the subscribers, group
// and projection running (and its ratio to appends alone), the slope of each figure per minute, then it checks
// every acknowledged event is stored once at its position, every subscriber got its events gap-free, and every
// event of the group's filter was handled by a member. Exit code 1 when a check fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/open/open-store.js';
import { documentSink, runProjection } from '../src/projections/index.js';
import type { EventStore } from '../src/store/event-store.js';
import { consumerStatus } from '../src/subscriptions/status.js';
import { throwawayDatabase } from '../test/support/postgres.js';
import { joinGroup } from './soak/group-client.js';
import { readSse } from './soak/sse-reader.js';
import { quantile, rssMb, slope } from './soak/stats.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    minutes: { type: 'string', default: '10' },
    fraction: { type: 'string', default: '0.8' },
    postgres: { type: 'boolean', default: false },
    'window-seconds': { type: 'string', default: '30' },
    'saturation-seconds': { type: 'string', default: '10' },
  },
});
const MINUTES = Number(values.minutes);
const FRACTION = Number(values.fraction);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const SATURATION_MS = Number(values['saturation-seconds']) * 1000;
const CONNECTIONS = 16;
const SUBSCRIBERS = 50;
const STREAMS = 1000;
const GROUP = 'soak-group';
const PROJECTION = 'soak_orders';
// 1 KB events, as every benchmark of the project
const PADDING = 'x'.repeat(1024 - 40);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function soak(store: EventStore, server: ChildProcess): Promise<boolean> {
  const saturation = await measureSaturation();
  const rate = saturation * FRACTION;
  console.log(`saturation: ${saturation.toFixed(0)} appends/s at ${CONNECTIONS} connections; the mix runs at ${rate.toFixed(0)}/s (${FRACTION}) for ${MINUTES} min`);

  const startHead = await head();
  const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) =>
    subscribe(i % 3 === 0 ? undefined : i % 3 === 1 ? 'order' : 'stock', i % 2 === 0 ? 0 : startHead),
  );
  const members = [1, 2].map((n) => joinGroup(base, GROUP, `member-${n}`, 'category=order&partitions=8&start=beginning'));
  const projection = await runProjection(store, {
    name: PROJECTION,
    version: 1,
    filter: { categories: ['order'] },
    sink: documentSink(),
    handlers: { Placed: (event, docs) => docs.patch(event.stream, { last: event.position }) },
  });

  const load = new Load();
  const stopAt = Date.now() + MINUTES * 60_000;
  const workers = [
    ...Array.from({ length: CONNECTIONS }, () => load.appendPaced(rate / CONNECTIONS, stopAt)),
    ...Array.from({ length: 2 }, () => load.read(stopAt)),
  ];
  const windows: { minute: number; rss: number; p99: number; subscriberLag: number; groupLag: number; projectionLag: number }[] = [];
  const started = Date.now();
  console.log('  time  appends/s  p50 ms  p99 ms  RSS MB  sub lag p99 ms  group lag  projection lag  503s  reads/s');
  while (Date.now() < stopAt) {
    await sleep(Math.min(WINDOW_MS, stopAt - Date.now()));
    const window = load.takeWindow();
    const lags = subscribers.flatMap((s) => s.takeLags());
    const statuses = await consumerStatus(store);
    const groupLag = statuses.find((s) => s.name === GROUP)?.lagEvents ?? Number.NaN;
    const projectionLag = statuses.find((s) => s.name.startsWith(`projection:${PROJECTION}:`))?.lagEvents ?? Number.NaN;
    const row = {
      minute: (Date.now() - started) / 60_000,
      rss: await rssMb(server.pid!),
      p99: quantile(window.latencies, 0.99),
      subscriberLag: quantile(lags, 0.99),
      groupLag,
      projectionLag,
    };
    windows.push(row);
    const seconds = window.ms / 1000;
    console.log(
      `${(row.minute * 60).toFixed(0).padStart(5)}s ${(window.latencies.length / seconds).toFixed(0).padStart(10)} ${quantile(window.latencies, 0.5).toFixed(1).padStart(7)} ` +
        `${row.p99.toFixed(1).padStart(7)} ${row.rss.toFixed(0).padStart(7)} ${row.subscriberLag.toFixed(0).padStart(15)} ${String(groupLag).padStart(10)} ` +
        `${String(projectionLag).padStart(15)} ${String(window.refused).padStart(5)} ${(window.reads / seconds).toFixed(0).padStart(8)}`,
    );
  }
  await Promise.all(workers);
  // the issue's target: appends with the subscribers, the group and the projection running, against appends alone
  const withMix = await measureSaturation();
  console.log(`saturation with 50 subscribers, the group and the projection running: ${withMix.toFixed(0)} appends/s, ${(withMix / saturation).toFixed(2)}x of appends alone`);
  const minutes = windows.map((w) => w.minute);
  console.log('slopes per minute (± standard error):');
  for (const [name, key] of [['RSS MB', 'rss'], ['append p99 ms', 'p99'], ['subscriber lag p99 ms', 'subscriberLag'], ['group lag events', 'groupLag'], ['projection lag events', 'projectionLag']] as const) {
    const fit = slope(minutes, windows.map((w) => w[key]));
    console.log(`  ${name.padEnd(22)} ${fit.slope.toFixed(2).padStart(9)} ± ${fit.stderr.toFixed(2)}`);
  }

  // everything appended is delivered before the checks
  const log = await readLog(store);
  const lastOf = (category: string | undefined) => log.findLast((e) => category === undefined || e.category === category)?.position ?? 0;
  const orderPositions = log.filter((e) => e.category === 'order').map((e) => e.position);
  const deadline = Date.now() + 120_000;
  const handled = () => new Set(members.flatMap((m) => m.acked));
  while (Date.now() < deadline) {
    const statuses = await consumerStatus(store);
    const projectionDone = (statuses.find((s) => s.name.startsWith(`projection:${PROJECTION}:`))?.lagEvents ?? 1) === 0;
    const acknowledged = handled();
    const groupDone = orderPositions.every((p) => acknowledged.has(p));
    if (projectionDone && groupDone && subscribers.every((s) => (s.positions.at(-1) ?? 0) >= lastOf(s.category))) break;
    await sleep(500);
  }
  for (const s of subscribers) s.close();
  for (const m of members) m.close();
  await projection.stop();

  const problems: string[] = [];
  const stored = new Map<string, number[]>();
  for (const event of log) stored.set(event.id, [...(stored.get(event.id) ?? []), event.position]);
  let wrong = 0;
  for (const [id, position] of load.acked) if (stored.get(id)?.length !== 1 || stored.get(id)![0] !== position) wrong++;
  if (wrong > 0) problems.push(`${wrong} of ${load.acked.size} acknowledged events are not stored exactly once at their position`);
  for (const [i, s] of subscribers.entries()) {
    const expected = log.filter((e) => e.position > s.after && (s.category === undefined || e.category === s.category)).map((e) => e.position);
    if (s.positions.join(',') !== expected.join(',')) {
      problems.push(`subscriber ${i} (${s.category ?? 'all'} after ${s.after}) got ${s.positions.length} events, expected ${expected.length}`);
    }
  }
  const acknowledged = handled();
  const unhandled = orderPositions.filter((p) => !acknowledged.has(p)).length;
  if (unhandled > 0) problems.push(`${unhandled} of ${orderPositions.length} events of the group's filter were never acknowledged by a member`);
  const statuses = await consumerStatus(store);
  const projectionStatus = statuses.find((s) => s.name.startsWith(`projection:${PROJECTION}:`));
  if (projectionStatus?.lagEvents !== 0 || projectionStatus.parked !== 0) problems.push(`the projection ends ${projectionStatus?.lagEvents} behind with ${projectionStatus?.parked} parked`);
  const redelivered = members.reduce((n, m) => n + m.acked.length, 0) - acknowledged.size;
  console.log(
    `checked: ${load.acked.size} acknowledged appends (${load.refusedTotal} answered 503), ${SUBSCRIBERS} subscribers ` +
      `(${subscribers.reduce((n, s) => n + s.reconnects, 0)} reconnects), ${orderPositions.length} group events (${redelivered} redelivered), the projection`,
  );
  for (const problem of problems) console.log(`FAIL ${problem}`);
  if (problems.length === 0) console.log('PASS');
  return problems.length === 0;
}

/** Closed-loop single-event appends over 16 connections for a short while: the rate the server tops out at. */
async function measureSaturation(): Promise<number> {
  const load = new Load();
  const stopAt = Date.now() + SATURATION_MS;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, () => load.appendPaced(Number.POSITIVE_INFINITY, stopAt)));
  return load.takeWindow().latencies.length / ((Date.now() - started) / 1000);
}

/** The appends and reads of the mix, and what they measured since the last window. */
class Load {
  readonly acked = new Map<string, number>();
  refusedTotal = 0;
  #latencies: number[] = [];
  #refused = 0;
  #reads = 0;
  #windowStart = Date.now();
  #top = 0;

  takeWindow(): { latencies: number[]; refused: number; reads: number; ms: number } {
    const window = { latencies: this.#latencies, refused: this.#refused, reads: this.#reads, ms: Date.now() - this.#windowStart };
    this.#latencies = [];
    this.#refused = 0;
    this.#reads = 0;
    this.#windowStart = Date.now();
    return window;
  }

  /** One connection's appends at `perSecond` until `stopAt`; one behind its schedule sends at once, never more than one at a time. */
  async appendPaced(perSecond: number, stopAt: number): Promise<void> {
    const interval = 1000 / perSecond;
    let due = Date.now() + Math.random() * Math.min(interval, 1000);
    while (Date.now() < stopAt) {
      if (Number.isFinite(interval)) {
        if (due > Date.now()) await sleep(due - Date.now());
        due += interval;
      }
      await this.#appendOne();
    }
  }

  async read(stopAt: number): Promise<void> {
    while (Date.now() < stopAt) {
      const top = Math.max(1, this.#top);
      const url =
        Math.random() < 0.5
          ? `${base}/all?after=${Math.floor(Math.random() * top)}&limit=100`
          : `${base}/streams/${Math.random() < 0.5 ? 'order' : 'stock'}-${Math.floor(Math.random() * STREAMS)}?limit=20`;
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 404) this.#reads++;
      else if (response.status === 503) await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
      else throw new TypeError(`a read answered ${response.status}`);
      await sleep(25);
    }
  }

  async #appendOne(): Promise<void> {
    const id = randomUUID();
    const stream = `${Math.random() < 0.5 ? 'order' : 'stock'}-${Math.floor(Math.random() * STREAMS)}`;
    const started = performance.now();
    const response = await fetch(`${base}/streams/${stream}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ id, type: 'Placed', data: { padding: PADDING } }] }),
    });
    const body = (await response.json()) as { events?: { position: number }[] };
    if (response.status === 201) {
      this.acked.set(id, body.events![0]!.position);
      this.#top = Math.max(this.#top, body.events![0]!.position);
      this.#latencies.push(performance.now() - started);
    } else if (response.status === 503) {
      this.#refused++;
      this.refusedTotal++;
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
    } else {
      throw new TypeError(`an append answered ${response.status}: ${JSON.stringify(body)}`);
    }
  }
}

/** A live subscriber of the log (of one category, or all) from `after`; it reconnects from its last event when cut off. */
function subscribe(category: string | undefined, after: number) {
  const positions: number[] = [];
  let lags: number[] = [];
  let reconnects = 0;
  let closed = false;
  let connection: { close: () => void };
  const connect = () => {
    const from = positions.at(-1) ?? after;
    connection = readSse(
      `${base}/all/subscribe?after=${from}${category === undefined ? '' : `&category=${category}`}`,
      (message) => {
        if (message.event !== 'message' || message.id === undefined || message.data === undefined) return;
        positions.push(Number(message.id));
        // recordedAt closes the event JSON: no parse needed
        lags.push(Date.now() - Date.parse(message.data.slice(message.data.lastIndexOf('"recordedAt":"') + 14, -2)));
      },
      () => {
        if (closed) return;
        reconnects++;
        setTimeout(connect, 200);
      },
    );
  };
  connect();
  return {
    category,
    after,
    positions,
    get reconnects() {
      return reconnects;
    },
    takeLags: () => {
      const taken = lags;
      lags = [];
      return taken;
    },
    close: () => {
      closed = true;
      connection.close();
    },
  };
}

async function readLog(store: EventStore): Promise<{ id: string; position: number; category: string }[]> {
  const log: { id: string; position: number; category: string }[] = [];
  for (let after: number | null = 0; after !== null; ) {
    const page = await store.readAll({ after, limit: 10_000 });
    for (const event of page.events) log.push({ id: event.id, position: event.position, category: event.stream.split('-')[0]! });
    after = page.next;
  }
  return log;
}

async function head(): Promise<number> {
  return ((await (await fetch(`${base}/health`)).json()) as { head: number }).head;
}

async function untilHealthy(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new TypeError('the server did not start within 30 s');
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

// classes are not hoisted: the run starts once everything above is defined
const folder = mkdtempSync(join(tmpdir(), 'tributary-soak-'));
const database = values.postgres ? await throwawayDatabase() : undefined;
if (values.postgres && database === undefined) process.exit(1);
const location = database?.url ?? join(folder, 'soak.db');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port), '--db', location, '--log-level', 'warn'], {
  cwd: resolve(import.meta.dirname, '..'),
  stdio: ['ignore', 'inherit', 'inherit'],
});
let store: EventStore | undefined;
let passed: boolean | undefined;
try {
  await untilHealthy();
  store = await openStore(location);
  passed = await soak(store, server);
} finally {
  server.kill('SIGTERM');
  await new Promise((done) => server.once('exit', done));
  await store?.close();
  await database?.drop();
  rmSync(folder, { recursive: true, force: true });
}
process.exit(passed === true ? 0 : 1);
