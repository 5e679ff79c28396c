import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

// a real `tributary serve` process, measured through /proc (Linux): its memory and CPU are what the lake limits protect
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const TEN_MILLION = "SELECT range, repeat('x', 100) AS padding FROM range(10000000)";
const NEVER_ENDING = 'SELECT count(*) AS n FROM range(1000000000000)';
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const folder = mkdtempSync(join(tmpdir(), 'tributary-lake-process-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) await stop(child);
  rmSync(folder, { recursive: true, force: true });
});
let databases = 0;

/** Starts `tributary serve` on a free port; resolves with its base URL once it listens. */
async function serve(...flags: string[]): Promise<{ child: ChildProcess; base: string; pid: number }> {
  const db = join(folder, `serve-${databases++}.db`);
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const logs: string[] = [];
  const base = await new Promise<string>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`serve exited early with ${code}: ${logs.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line);
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (listening !== null) done(listening[1]!);
    });
  });
  child.removeAllListeners('exit');
  return { child, base, pid: child.pid! };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** A figure of /proc/<pid>/status, in MiB (VmHWM is the peak resident set). */
function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) / 1024;
}

/** CPU time the process has used so far (user and system), in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // after "pid (comm) ", utime and stime are the 12th and 13th fields
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function cpuOver(pid: number, ms: number): Promise<number> {
  const before = cpuMs(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return cpuMs(pid) - before;
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
