// Subscriptions on both backends, 1 KB events everywhere. Each part measures its cases once per run, in
// an order rotated run by run; the tables print medians, and ratios taken within each run before their median.
//  - append→handler latency of a live consumer, the producer in the same process and in another one
//    (the median of each run's percentiles);
//  - catch-up: a consumer reading 100k events from the start, against the raw driver paging the
//    same table (better-sqlite3 / pg) and against the store's own readAll;
//  - a consumer group of 1, 2 and 4 member processes, with a no-op handler and with 1 ms of I/O per event.
//   npm run bench:subscriptions   (PostgreSQL at TRIBUTARY_TEST_PG, default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_RUNS=3  BENCH_ONLY=latency,catch-up,group
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../src/open/open-store.js';
import type { EventStore } from '../src/store/event-store.js';
import { startConsumer } from '../src/subscriptions/consumer.js';
import { consumerStatus } from '../src/subscriptions/status.js';
import { throwawayDatabase } from '../test/support/postgres.js';
import { interleave, rateOf, runsFromEnv, type Figures, type Runs } from './lib/interleave.js';
import { rate, table, timed, times } from './lib/measure.js';
import { depositData } from './lib/payload.js';
import { payload } from './lib/scenarios.js';

const RUNS = runsFromEnv(3);
const LATENCY_EVENTS = Number(process.env['BENCH_LATENCY_EVENTS'] ?? 1000);
const CATCH_UP_EVENTS = Number(process.env['BENCH_CATCH_UP'] ?? 100_000);
// events per group run: a no-op handler needs many to outlast the 50 ms checkpoint interval
const GROUP_EVENTS = { noop: Number(process.env['BENCH_GROUP_EVENTS'] ?? 20_000), io: Number(process.env['BENCH_GROUP_IO_EVENTS'] ?? 4_000) };
const PAGE = 500;
// BENCH_ONLY=latency,catch-up,group runs a part of the benchmark
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'latency,catch-up,group').split(','));

const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-subscriptions-'));
const database = await throwawayDatabase();
let locations = 0;

interface Backend {
  name: string;
  fresh(): string;
  rawRead(location: string): Promise<{ events: number; seconds: number }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    fresh: () => join(folder, `bench-${locations++}.db`),
    async rawRead(location) {
      const db = new BetterSqlite3(location, { readonly: true });
      const page = db.prepare('SELECT position, stream, revision, id, type, recorded_at, metadata, data FROM events WHERE position > ? ORDER BY position LIMIT ?').raw();
      let events = 0;
      const seconds = await timed(() => {
        let after = 0;
        for (;;) {
          const rows = page.all(after, PAGE) as unknown[][];
          if (rows.length === 0) break;
          events += rows.length;
          after = rows[rows.length - 1]![0] as number;
        }
      });
      db.close();
      return { events, seconds };
    },
  },
  ...(database === undefined
    ? []
    : [
        {
          name: 'postgres',
          fresh: () => `${database.url}?schema=bench_${locations++}`,
          async rawRead(location: string) {
            const url = new URL(location);
            const schema = url.searchParams.get('schema')!;
            url.searchParams.delete('schema');
            const client = new pg.Client({ connectionString: url.toString() });
            await client.connect();
            const text = `SELECT position, stream, revision, id, type, recorded_at, metadata, data FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT $2`;
            let events = 0;
            const seconds = await timed(async () => {
              let after = 0;
              for (;;) {
                const rows = (await client.query<unknown[]>({ text, values: [after, PAGE], rowMode: 'array' })).rows;
                if (rows.length === 0) break;
                events += rows.length;
                after = Number(rows[rows.length - 1]![0]);
              }
            });
            await client.end();
            return { events, seconds };
          },
        } satisfies Backend,
      ]),
];

const now = () => performance.timeOrigin + performance.now();
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Latencies (ms) from the start of each append to its handler, the producer in this process or another. */
async function latency(backend: Backend, crossProcess: boolean): Promise<number[]> {
  const location = backend.fresh();
  const store = await openStore(location);
  const latencies: number[] = [];
  const consumer = await startConsumer(store, {
    name: 'latency',
    start: 'end',
    handler: (event) => void latencies.push(now() - (event.data as { sentAt: number }).sentAt),
  });
  await until(async () => consumer.state === 'live');
  if (crossProcess) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib/producer-child.ts'), JSON.stringify({ location, count: LATENCY_EVENTS, intervalMs: 2 })], {
      stdio: 'inherit',
    });
    await new Promise((resolve) => child.once('exit', resolve));
  } else {
    for (let i = 0; i < LATENCY_EVENTS; i++) {
      await store.append(`latency-${i % 10}`, [{ type: 'Pinged', data: { ...payload(i), sentAt: now() } }]);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  await until(async () => latencies.length === LATENCY_EVENTS);
  await consumer.stop();
  await store.close();
  return latencies.sort((a, b) => a - b);
}

async function fill(location: string, events: number): Promise<void> {
  const store = await openStore(location);
  for (let i = 0; i < events; i += 1000) {
    await store.append(`account-${(i / 1000) % 100}`, Array.from({ length: 1000 }, (_, k) => ({ type: 'Deposited', data: depositData(i + k) })));
  }
  await store.close();
}

async function catchUp(store: EventStore, name: string): Promise<Figures> {
  const head = await store.headPosition();
  let handled = 0;
  let consumer: Awaited<ReturnType<typeof startConsumer>> | undefined;
  let reachedHead!: () => void;
  const finished = new Promise<void>((resolve) => (reachedHead = resolve));
  const seconds = await timed(async () => {
    consumer = await startConsumer(store, {
      name,
      pageSize: PAGE,
      handler: (event) => {
        handled++;
        if (event.position === head) reachedHead();
      },
    });
    await finished;
  });
  await consumer!.stop();
  return rateOf({ events: handled, seconds });
}

async function readAllRate(store: EventStore): Promise<Figures> {
  let events = 0;
  const seconds = await timed(async () => {
    let after: number | null = 0;
    while (after !== null) {
      const page = await store.readAll({ after, limit: PAGE });
      events += page.events.length;
      after = page.next;
    }
  });
  return rateOf({ events, seconds });
}

function startMember(location: string, name: string, handlerMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib/member-child.ts'), JSON.stringify({ location, name, partitions: 16, handlerMs })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => createInterface({ input: child.stdout }).once('line', () => resolve(child)));
}

/** Events per second a group of `members` processes handles, from the first append until the checkpoint reaches the head. */
async function groupRate(backend: Backend, members: number, handlerMs: number): Promise<number> {
  const location = backend.fresh();
  const store = await openStore(location);
  const name = `group-${members}-${handlerMs}`;
  const children = await Promise.all(Array.from({ length: members }, () => startMember(location, name, handlerMs)));
  await until(async () => {
    const status = (await consumerStatus(store, [name]))[0];
    return status !== undefined && status.members.length === members && status.members.reduce((sum, m) => sum + m.partitions.length, 0) === 16;
  });
  const events = handlerMs === 0 ? GROUP_EVENTS.noop : GROUP_EVENTS.io;
  const seconds = await timed(async () => {
    for (let i = 0; i < events; i += 100) {
      await store.append(`order-${(i / 100) % 200}`, Array.from({ length: 100 }, (_, k) => ({ type: 'Placed', data: payload(i + k) })));
    }
    const head = await store.headPosition();
    await until(async () => (await consumerStatus(store, [name]))[0]!.checkpoint >= head);
  });
  await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));
  await store.close();
  return events / seconds;
}

const latencyRows: string[][] = [];
const catchUpRows: string[][] = [];
const groupRows: string[][] = [];
const perRun: string[] = [];
const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
for (const backend of backends) {
  if (ONLY.has('latency')) {
    const cases = [false, true].map((crossProcess) => ({
      name: `${backend.name}, producer in ${crossProcess ? 'another process' : 'the same process'}`,
      measure: async () => {
        const sorted = await latency(backend, crossProcess);
        return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1)! };
      },
    }));
    const runs = await interleave(RUNS, cases);
    for (const { name } of cases) latencyRows.push([name, ms(runs.median(name, 'p50')), ms(runs.median(name, 'p99')), ms(runs.median(name, 'max'))]);
  }

  if (ONLY.has('catch-up')) {
    const location = backend.fresh();
    await fill(location, CATCH_UP_EVENTS);
    const store = await openStore(location);
    // one warm-up pass each, then the three in turn, so caches and the JIT favour none of them
    await backend.rawRead(location);
    await readAllRate(store);
    await catchUp(store, 'catch-up-warm-up');
    const runs = await interleave(RUNS, [
      { name: 'consumer', measure: (run) => catchUp(store, `catch-up-${run}`) },
      { name: 'readAll', measure: () => readAllRate(store) },
      { name: 'raw', measure: async () => rateOf(await backend.rawRead(location)) },
    ]);
    await store.close();
    catchUpRows.push([
      backend.name,
      rate(runs.median('consumer')),
      rate(runs.median('readAll')),
      rate(runs.median('raw')),
      times(runs.ratio('consumer', 'raw')),
      times(runs.ratio('consumer', 'readAll')),
    ]);
    perRun.push(`catch-up, ${backend.name}, consumer vs raw: ${eachRatio(runs, 'consumer', 'raw')}`);
  }

  for (const handlerMs of ONLY.has('group') ? [0, 1] : []) {
    const name = `${backend.name}, ${handlerMs === 0 ? 'no-op handler' : '1 ms I/O per event'}`;
    const runs = await interleave(
      RUNS,
      [1, 2, 4].map((members) => ({ name: String(members), measure: async () => ({ rate: await groupRate(backend, members, handlerMs) }) })),
    );
    groupRows.push([name, rate(runs.median('1')), rate(runs.median('2')), rate(runs.median('4')), times(runs.ratio('2', '1')), times(runs.ratio('4', '1'))]);
    perRun.push(`group, ${name}, 2 vs 1: ${eachRatio(runs, '2', '1')}; 4 vs 1: ${eachRatio(runs, '4', '1')}`);
  }
}

function eachRatio(runs: Runs, ours: string, theirs: string): string {
  return runs.ratios(ours, theirs).map((value) => times(value)).join(' ');
}

if (latencyRows.length > 0) {
  console.log(`\nappend → handler latency, ms (${LATENCY_EVENTS} single-event appends 2 ms apart, live consumer; median of ${RUNS} runs' percentiles)\n`);
  console.log(table(['case', 'p50', 'p99', 'max'], latencyRows));
}
if (catchUpRows.length > 0) {
  console.log(`\ncatch-up from the start, events/s (${CATCH_UP_EVENTS.toLocaleString('en-US')} 1 KB events, pages of ${PAGE}, ${RUNS} runs in turns)\n`);
  console.log(table(['backend', 'consumer', 'store readAll', 'raw driver', 'vs raw', 'vs readAll'], catchUpRows));
}
if (groupRows.length > 0) {
  console.log(
    `\nconsumer group, events/s from first append to checkpoint at head (${GROUP_EVENTS.noop} events no-op, ${GROUP_EVENTS.io} with I/O; 200 streams, 16 partitions, one process per member; ${RUNS} runs in turns)\n`,
  );
  console.log(table(['case', '1 member', '2 members', '4 members', '2 vs 1', '4 vs 1'], groupRows));
}
if (perRun.length > 0) console.log(`\nratios are medians of each run's ratio; each run:\n${perRun.map((line) => `  ${line}`).join('\n')}`);

rmSync(folder, { recursive: true, force: true });
await database?.drop();
