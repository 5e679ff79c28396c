// Consumer groups over HTTP at the speed of the log: two members of one group, each the Python loop of
// docs/http.md run as written (python3, standard library), keep up with RATE appends/s of 1 KB events
// spread over STREAMS streams of their category, for --seconds N (default 30).
// The appends are single-event store.append calls in the server's process, started when due whatever
// is in flight (open loop: a server that falls behind shows it as lag). Lag is the time from an
// append's start to the first acknowledgement of its event reaching the server (POST …/ack, seen by a
// hook on the route); throughput is the events acknowledged per second while appending.
// Target: lag p99 <= 1 s at 1,000 appends/s.
//   node --import tsx bench/http-group.ts --seconds 30
//   BENCH_RATE=1000 BENCH_STREAMS=500 BENCH_WINDOW=100
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/backends/sqlite/sqlite-store.js';
import { buildServer } from '../src/server/server.js';
import { consumerStatus } from '../src/subscriptions/status.js';

const SECONDS = secondsArgument();
const RATE = Number(process.env['BENCH_RATE'] ?? 1000);
const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 500);
const WINDOW = Number(process.env['BENCH_WINDOW'] ?? 100);
const TARGET_P99_MS = 1000;
const TICK_MS = 5;
const DRAIN_MS = 15_000;

function secondsArgument(): number {
  const at = process.argv.indexOf('--seconds');
  const seconds = at === -1 ? 30 : Number(process.argv[at + 1]);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new TypeError('--seconds takes a positive number');
  return seconds;
}

/** The one ```python block of docs/http.md: the member loop exactly as the docs show it. */
function pythonLoop(): string {
  const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'http.md'), 'utf8');
  const found = /^```python\n([\s\S]*?)^```$/m.exec(text);
  if (found === null) throw new TypeError('docs/http.md has no python block');
  return found[1]!;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-http-group-'));
const members: ChildProcess[] = [];
const store = openSqliteStore({ path: join(folder, 'bench.db') });
const app = await buildServer({ open: true, store, logger: false });
const startedAt = new Map<number, number>();
const lags: number[] = [];
let duplicates = 0;
app.addHook('preHandler', async (request) => {
  if (request.routeOptions.url !== '/consumers/:name/members/:member/ack') return;
  const at = performance.now();
  const body = request.body as { acks?: number[]; position?: number };
  for (const position of body.acks ?? (body.position === undefined ? [] : [body.position])) {
    const started = startedAt.get(position);
    if (started === undefined) duplicates++;
    else lags.push(at - started);
    startedAt.delete(position);
  }
});

try {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const script = join(folder, 'member.py');
  writeFileSync(script, pythonLoop());
  for (const member of ['py-a', 'py-b']) {
    const env = { ...process.env, TRIBUTARY_URL: base, TRIBUTARY_GROUP: 'mailer', TRIBUTARY_MEMBER: member, TRIBUTARY_QUERY: `category=order&partitions=16&window=${WINDOW}` };
    const child = spawn('python3', [script], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    members.push(child);
  }
  for (let waited = 0; ; waited += 50) {
    const status = (await consumerStatus(store, ['mailer']))[0];
    if (status?.members.length === 2 && status.members.every((m) => m.partitions.length === 8)) break;
    if (waited > 30_000) throw new TypeError('the two Python members did not join within 30 s');
    await sleep(50);
  }

  const data = { body: 'x'.repeat(1000) };
  const total = Math.round(RATE * SECONDS);
  const failures: unknown[] = [];
  let sent = 0;
  const begin = performance.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * RATE));
    for (; sent < due; sent++) {
      const started = performance.now();
      store.append(`order-${sent % STREAMS}`, [{ type: 'Placed', data }]).then(
        (result) => startedAt.set(result.position, started),
        (error: unknown) => failures.push(error),
      );
    }
    await sleep(TICK_MS);
  }
  const appendSeconds = (performance.now() - begin) / 1000;
  const ackedWhileAppending = lags.length;
  const drainDeadline = performance.now() + DRAIN_MS;
  while (lags.length < total - failures.length && performance.now() < drainDeadline) await sleep(20);

  const sorted = [...lags].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  console.log(`two Python members (docs/http.md loop, window ${WINDOW}), ${RATE} appends/s of 1 KB over ${STREAMS} streams for ${SECONDS} s`);
  console.log(`appended ${total - failures.length} (${failures.length} failed) at ${(total / appendSeconds).toFixed(0)}/s; acknowledged ${lags.length}, ${duplicates} again`);
  console.log(`throughput while appending: ${(ackedWhileAppending / appendSeconds).toFixed(0)} events/s acknowledged`);
  console.log(`lag append -> ack: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`);
  console.log(`target p99 <= ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS && lags.length === total ? 'met' : 'NOT met'}`);
} finally {
  for (const member of members) member.kill();
  await app.close();
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}
