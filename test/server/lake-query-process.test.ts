import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KILL_GRACE_MS } from '../../src/projections/sinks/lake-process.js';
import { childrenOf, cpuMs, isRunning, memoryMb, until } from '../support/processes.js';
import { serve as serveProcess, stop } from '../support/serve-process.js';

// a real `tributary serve` process, measured through /proc (Linux): its memory and CPU, and its lake workers', are what the lake limits protect
const TEN_MILLION = "SELECT range, repeat('x', 100) AS padding FROM range(10000000)";
const NEVER_ENDING = 'SELECT count(*) AS n FROM range(1000000000000)';
// three queries whose values DuckDB builds outside its memory limit: 7.7 GB, 490 MB, and enough to be killed by the system
const ESCAPING = ['SELECT list_sum(range(1000000000))', "SELECT repeat('x', 200000) FROM range(2048)", "SELECT repeat('x', 1000000) FROM range(100000)"];

const folder = mkdtempSync(join(tmpdir(), 'tributary-lake-process-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) await stop(child);
  rmSync(folder, { recursive: true, force: true });
});
let databases = 0;

/** Starts `tributary serve` on a fresh database and a free port. */
async function serve(...flags: string[]): Promise<{ child: ChildProcess; base: string; pid: number }> {
  const { child, url } = await serveProcess(['--port', '0', '--db', join(folder, `serve-${databases++}.db`), ...flags]);
  children.push(child);
  return { child, base: url, pid: child.pid! };
}

/** CPU the server and its lake workers use over `ms`, in ms: the workers compute, the server only waits for them. */
async function cpuOver(pid: number, ms: number): Promise<number> {
  const tree = [pid, ...childrenOf(pid)];
  const before = tree.map((member) => cpuMs(member));
  await new Promise((resolve) => setTimeout(resolve, ms));
  // a process gone meanwhile reads 0: count only what each one still there used
  return tree.reduce((sum, member, i) => sum + Math.max(0, cpuMs(member) - before[i]!), 0);
}

/** Samples /health every `everyMs` until `done` settles; answers each latency in ms. */
async function healthWhile(base: string, done: Promise<unknown>, everyMs = 100): Promise<number[]> {
  let settled = false;
  void done.finally(() => (settled = true));
  const latencies: number[] = [];
  while (!settled) {
    latencies.push(await healthMs(base));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return latencies;
}

function lakeQuery(base: string, body: object, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}/lake/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

async function healthMs(base: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/health`);
  await response.text();
  expect(response.status).toBe(200);
  return performance.now() - started;
}

describe('lake queries against a real server process', () => {
  it('ten million rows come back as the 10,000-row cap while the server stays under 300 MB', async () => {
    const { base, pid } = await serve();
    const idle = memoryMb(pid, 'VmHWM');
    const response = await lakeQuery(base, { sql: TEN_MILLION });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { rows: { range: number }[]; truncated: boolean };
    expect(answer.truncated).toBe(true);
    expect(answer.rows).toHaveLength(10_000);
    const peak = memoryMb(pid, 'VmHWM');
    const largest = (await (await lakeQuery(base, { sql: TEN_MILLION, limit: 100_000 })).json()) as { rows: unknown[] };
    expect(largest.rows).toHaveLength(100_000);
    const peakAtMaximum = memoryMb(pid, 'VmHWM');
    console.log(`server VmHWM: ${idle.toFixed(0)} MB idle, ${peak.toFixed(0)} MB after the 10M-row query, ${peakAtMaximum.toFixed(0)} MB after limit 100,000`);
    expect(peak).toBeLessThan(300);
    // the largest answer is 32 MiB of cells at most, and costs a few times that as objects and JSON text
    expect(peakAtMaximum).toBeLessThan(400);
  }, 60_000);

  it('a never-ending query is interrupted at the time limit with LAKE_QUERY_TIMEOUT; /health answers within 100 ms meanwhile; its CPU use stops', async () => {
    const { base, pid } = await serve('--lake-timeout-ms', '3000');
    await healthMs(base);
    const started = performance.now();
    const running = lakeQuery(base, { sql: NEVER_ENDING });
    const latencies: number[] = [];
    await new Promise((resolve) => setTimeout(resolve, 200));
    // the query is really running: it keeps about a core busy
    const busyCpu = await cpuOver(pid, 1_000);
    for (let i = 0; i < 8; i++) {
      latencies.push(await healthMs(base));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const response = await running;
    const elapsed = performance.now() - started;
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { code: 'LAKE_QUERY_TIMEOUT', timeoutMs: 3000 } });
    const idleCpu = await cpuOver(pid, 1_000);
    const next = performance.now();
    expect((await (await lakeQuery(base, { sql: 'SELECT 42 AS answer' })).json()) as object).toEqual({ rows: [{ answer: 42 }], truncated: false });
    const nextMs = performance.now() - next;
    console.log(
      `timeout after ${elapsed.toFixed(0)} ms; /health ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms while it ran; ` +
        `server CPU ${busyCpu.toFixed(0)} ms/s while running, ${idleCpu.toFixed(0)} ms/s after; next query ${nextMs.toFixed(0)} ms`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(5_000);
    expect(Math.max(...latencies)).toBeLessThan(100);
    // the machine may be shared: the query gets what CPU it can, and the server falls to a fraction of it once stopped
    expect(busyCpu).toBeGreaterThan(100);
    expect(idleCpu).toBeLessThan(Math.min(150, busyCpu / 4));
    expect(nextMs).toBeLessThan(1_000);
  }, 60_000);

  it('a query whose values escape DuckDB’s memory limit kills only its worker: 422, the server stays small and answers /health at once, the next query works', async () => {
    const { base, pid } = await serve();
    expect((await (await lakeQuery(base, { sql: 'SELECT 1 AS one' })).json()) as object).toEqual({ rows: [{ one: 1 }], truncated: false });
    const figures: string[] = [];
    for (const sql of ESCAPING) {
      const [worker] = childrenOf(pid);
      let workerPeak = 0;
      const sampling = setInterval(() => (workerPeak = Math.max(workerPeak, memoryMb(worker!, 'VmHWM'))), 5);
      const started = performance.now();
      const answer = lakeQuery(base, { sql });
      const latencies = await healthWhile(base, answer, 50);
      const response = await answer;
      const elapsed = performance.now() - started;
      clearInterval(sampling);
      const body = (await response.json()) as { error: { code: string; residentMb?: number; workerMemoryMb?: number } };
      expect(response.status, sql).toBe(422);
      expect(body.error, sql).toMatchObject({ code: 'LAKE_QUERY_OUT_OF_MEMORY', memoryMb: 256, workerMemoryMb: 448 });
      const serverPeak = memoryMb(pid, 'VmHWM');
      figures.push(
        `${sql}: 422 after ${elapsed.toFixed(0)} ms; worker killed at ${body.error.residentMb} MiB read by the server, ${workerPeak.toFixed(0)} MiB sampled every 5 ms; ` +
          `server VmHWM ${serverPeak.toFixed(0)} MB; /health ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms`,
      );
      expect(serverPeak, sql).toBeLessThan(300);
      expect(latencies.length, sql).toBeGreaterThanOrEqual(3);
      expect(Math.max(...latencies), sql).toBeLessThan(100);
      // the bound plus what a worker allocates in one reading's interval, at most
      expect(workerPeak, sql).toBeLessThan(448 + 250);
      await until(() => !isRunning(worker!), 'the worker is gone');
      const next = await lakeQuery(base, { sql: 'SELECT 42 AS answer' });
      expect((await next.json()) as object, sql).toEqual({ rows: [{ answer: 42 }], truncated: false });
    }
    console.log(figures.join('\n'));
  }, 120_000);

  it('a worker killed from outside fails its query with 503 LAKE_WORKER_LOST, and the next query runs in a new worker', async () => {
    const { base, pid } = await serve();
    expect((await lakeQuery(base, { sql: 'SELECT 1' })).status).toBe(200);
    const [worker] = childrenOf(pid);
    // the worker is up: what CPU it uses from here on is the query's
    const loaded = cpuMs(worker!);
    const running = lakeQuery(base, { sql: NEVER_ENDING });
    await until(() => cpuMs(worker!) - loaded > 300, 'the query computes in its worker', 20_000);
    process.kill(worker!, 'SIGKILL');
    const response = await running;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: 'LAKE_WORKER_LOST', signal: 'SIGKILL', exitCode: null } });
    expect((await (await lakeQuery(base, { sql: 'SELECT 42 AS answer' })).json()) as object).toEqual({ rows: [{ answer: 42 }], truncated: false });
    expect(childrenOf(pid)).not.toContain(worker);
  }, 60_000);

  it('a query DuckDB cannot interrupt is answered 504 at the time limit, and its worker is killed after the grace', async () => {
    // a worker bound far above what the list reaches in two seconds: the time limit, not the memory, ends it
    const { base, pid } = await serve('--lake-timeout-ms', '1000', '--lake-worker-memory-mb', '16384', '--lake-queries', '1');
    await lakeQuery(base, { sql: 'SELECT 1' });
    const [worker] = childrenOf(pid);
    const started = performance.now();
    const response = await lakeQuery(base, { sql: 'SELECT list_sum(range(1000000000))' });
    const answeredAfter = performance.now() - started;
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { code: 'LAKE_QUERY_TIMEOUT', timeoutMs: 1000 } });
    await until(() => !isRunning(worker!), 'the worker is killed', 5_000);
    const killedAfter = performance.now() - started;
    // the only slot is free once the server has seen its worker exit, moments after the kill
    await expect.poll(async () => (await lakeQuery(base, { sql: 'SELECT 42 AS answer' })).status, { timeout: 3_000, interval: 20 }).toBe(200);
    const nextAfter = performance.now() - started;
    console.log(`list_sum under a 1 s limit: 504 after ${answeredAfter.toFixed(0)} ms, worker killed after ${killedAfter.toFixed(0)} ms, next query answered after ${nextAfter.toFixed(0)} ms`);
    expect(answeredAfter).toBeGreaterThanOrEqual(990);
    expect(answeredAfter).toBeLessThan(1_500);
    // DuckDB alone would have held its slot 13 s
    expect(killedAfter).toBeLessThan(1_000 + KILL_GRACE_MS + 500);
    expect(nextAfter).toBeLessThan(1_000 + KILL_GRACE_MS + 2_000);
  }, 60_000);

  it('SIGTERM stops the server within its grace period and leaves no worker behind, busy or idle', async () => {
    const { child, base, pid } = await serve();
    const running = lakeQuery(base, { sql: NEVER_ENDING }).catch((error: unknown) => error);
    await until(() => childrenOf(pid).length === 1, 'the first worker is forked', 20_000);
    expect((await lakeQuery(base, { sql: 'SELECT 1' })).status).toBe(200);
    const workers = childrenOf(pid);
    expect(workers).toHaveLength(2);
    const exited = new Promise<number>((done) => child.once('exit', () => done(performance.now())));
    const stopping = performance.now();
    child.kill('SIGTERM');
    const took = (await exited) - stopping;
    await running;
    console.log(`serve stopped ${took.toFixed(0)} ms after SIGTERM with a lake query in flight`);
    // requests in flight get 5 s (docs/http.md), then the workers are killed with the server
    expect(took).toBeLessThan(5_000 + 2_000);
    expect(workers.filter(isRunning)).toEqual([]);
  }, 60_000);

  it('a client that goes away stops its query: the server’s CPU use falls back to idle long before the time limit', async () => {
    const { base, pid } = await serve('--lake-timeout-ms', '60000');
    const client = new AbortController();
    const abandoned = lakeQuery(base, { sql: NEVER_ENDING }, client.signal).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const busyCpu = await cpuOver(pid, 1_000);
    expect(busyCpu).toBeGreaterThan(100);
    client.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await cpuOver(pid, 1_000)).toBeLessThan(Math.min(150, busyCpu / 4));
  }, 60_000);
});
