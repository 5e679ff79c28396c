import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { lakeDirectoryOf } from '../../src/projections/definition/projection.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { lakeSink, type LakeContext } from '../../src/projections/sinks/lake.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { lakeAttacks, snapshotTree, type LakeAttack } from '../projections/lake-attacks.js';
import { childrenOf, cpuMs, isRunning, until } from '../support/processes.js';
import { BIN, serve as serveProcess, stop, type ServeProcess } from '../support/serve-process.js';

const TEN_MILLION = "SELECT range, repeat('x', 100) AS padding FROM range(10000000)";
const NEVER_ENDING = 'SELECT count(*) AS n FROM range(1000000000000)';

const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-lake-'));
const db = join(folder, 'shop.db');
const lakes = join(folder, 'lakes');
let lake: string;
let attacks: LakeAttack[];
let server: ServeProcess;

/** `tributary <args>` on the test's database, or through the server with `--url`. */
function cli(args: string[], through: 'db' | 'url' = 'db') {
  const target = through === 'db' ? ['--db', db] : ['--url', server.url];
  const result = spawnSync(process.execPath, [BIN, ...args, ...target], { encoding: 'utf8', cwd: folder, maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  const store = openSqliteStore({ path: db });
  try {
    for (let i = 1; i <= 3; i++) await store.append(`payment-${i}`, [{ type: 'Paid', data: { sku: `sku-${i}`, qty: i } }]);
    const columns = [
      { name: 'position', type: 'BIGINT' as const },
      { name: 'sku', type: 'VARCHAR' as const },
      { name: 'qty', type: 'BIGINT' as const },
    ];
    const handlers = { Paid: (event: { position: number; data: unknown }, sink: LakeContext) => sink.write({ position: event.position, ...(event.data as object) }) };
    const running = await runProjection(store, { name: 'paylake', version: 1, sink: lakeSink({ directory: lakes, columns, rollMs: 20 }), handlers }, { watchMs: 20 });
    await waitForProjection(store, 'paylake', await store.headPosition(), { timeoutMs: 20_000 });
    await running.stop();
  } finally {
    await store.close();
  }
  lake = lakeDirectoryOf(lakes, 'paylake', 1);
  const liveFile = join(lake, readManifest(lake)!.files[0]!.path);
  // one of each kind: the library and HTTP tests run every attack, these prove the CLI goes through the same refusal
  const kinds = /^(COPY \(SELECT|CREATE TABLE|INSERT|ATTACH|INSTALL|EXPORT|SELECT 1; COPY|SET threads|PRAGMA memory|EXPLAIN ANALYZE|SELECT \* FROM enable_logging)/;
  attacks = lakeAttacks('paylake', lake, liveFile).filter((attack) => kinds.test(attack.sql));
  expect(attacks).toHaveLength(11);
  server = await serve();
});

afterAll(async () => {
  await stop(server.child);
  rmSync(folder, { recursive: true, force: true });
});

/** `tributary serve` on the test's database and a free port. */
function serve(...flags: string[]): Promise<ServeProcess> {
  return serveProcess(['--port', '0', '--db', db, ...flags]);
}

/** How many requests for the lake query the server has logged so far. */
const lakeRequests = (server: ServeProcess) => server.logs.filter((line) => JSON.stringify(line).includes('"url":"/lake/query"')).length;

describe.each(['db', 'url'] as const)('tributary lake query through --%s', (through) => {
  it('refuses every statement but one read-only SELECT, and the lake stays as it was', () => {
    const before = snapshotTree(lakes);
    // through a server the CLI only carries the request: a few kinds show it carries the refusal back
    for (const attack of through === 'db' ? attacks : attacks.filter((_, i) => i % 3 === 0)) {
      const result = cli(['lake', 'query', attack.sql], through);
      expect(result.code, attack.sql).toBe(1);
      expect(result.stderr, attack.sql).toContain('tributary: LAKE_QUERY_REFUSED: ');
      if (attack.statementType !== undefined) expect(result.stderr).toContain(`"statementType":"${attack.statementType}"`);
      expect(result.stdout).toBe('');
    }
    expect(snapshotTree(lakes)).toEqual(before);
    expect(JSON.parse(cli(['lake', 'query', 'SELECT sku, qty FROM paylake ORDER BY qty', '--json'], through).stdout)).toEqual(
      [1, 2, 3].map((qty) => ({ sku: `sku-${qty}`, qty })),
    );
  }, 120_000);

  it('prints at most --limit rows (10,000 by default) and says on stderr when the query had more', () => {
    const capped = cli(['lake', 'query', TEN_MILLION, '--json'], through);
    expect(capped.code).toBe(0);
    const rows = JSON.parse(capped.stdout) as { range: number }[];
    expect(rows).toHaveLength(10_000);
    expect(rows.at(-1)).toEqual({ range: 9_999, padding: 'x'.repeat(100) });
    expect(capped.stderr).toBe('tributary: the answer stops at 10000 rows; the query had more (--limit raises the cap)\n');

    const three = cli(['lake', 'query', TEN_MILLION, '--limit', '3'], through);
    expect(three.stdout).toBe(['range\tpadding', ...[0, 1, 2].map((range) => `${range}\t${'x'.repeat(100)}`)].join('\n') + '\n');
    expect(three.stderr).toContain('stops at 3 rows');
    const whole = cli(['lake', 'query', 'SELECT * FROM range(3)', '--limit', '3', '--json'], through);
    expect(whole).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(whole.stdout)).toEqual([{ range: 0 }, { range: 1 }, { range: 2 }]);

    for (const limit of ['0', '100001']) {
      const refused = cli(['lake', 'query', 'SELECT 1', '--limit', limit], through);
      expect(refused.code, limit).not.toBe(0);
      expect(refused.stderr, limit).toMatch(/INVALID_ARGUMENT|INVALID_REQUEST/);
    }
  }, 120_000);
});

it('through a server, a query that runs past the server’s time limit fails with LAKE_QUERY_TIMEOUT', async () => {
  const strict = await serve('--lake-timeout-ms', '1500');
  try {
    const started = performance.now();
    const result = spawnSync(process.execPath, [BIN, 'lake', 'query', NEVER_ENDING, '--url', strict.url], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('tributary: LAKE_QUERY_TIMEOUT: ');
    expect(result.stderr).toContain('"timeoutMs":1500');
    expect(performance.now() - started).toBeLessThan(15_000);
  } finally {
    await stop(strict.child);
  }
}, 60_000);

it('lake query --db runs its query in a worker process, exits as soon as it has answered, and leaves no worker behind', async () => {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'lake', 'query', 'SELECT 42 AS answer', '--json', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const workers = new Set<number>();
  const watching = setInterval(() => childrenOf(child.pid!).forEach((pid) => workers.add(pid)), 5);
  const code = await exited;
  clearInterval(watching);
  const took = performance.now() - started;
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual([{ answer: 42 }]);
  expect(workers.size).toBe(1);
  // its idle worker held nothing open: no wait for the idle timeout (30 s), and the worker went with its parent
  console.log(`tributary lake query --db took ${took.toFixed(0)} ms`);
  expect(took).toBeLessThan(10_000);
  await untilGone([...workers]);
}, 60_000);

/** Resolves once every process of `pids` is gone, within a second. */
async function untilGone(pids: number[]): Promise<void> {
  await until(() => pids.every((pid) => !isRunning(pid)), `workers ${pids.join(', ')} are gone`, 1_000);
}

/** Whether process `pid` has `file` open: the CLI opens the database only once it handles Ctrl-C. */
function hasOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

it.each(['db', 'url'] as const)('Ctrl-C stops a running lake query through --%s, long before its time limit', async (through) => {
  const target = through === 'db' ? ['--db', db] : ['--url', server.url];
  const requests = lakeRequests(server);
  const child = spawn(process.execPath, [BIN, 'lake', 'query', NEVER_ENDING, ...target], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  if (through === 'db') await until(() => hasOpen(child.pid!, db), 'the CLI has opened the database', 20_000);
  else await until(() => lakeRequests(server) > requests, 'the server has the query', 20_000);
  // the query is under way: DuckDB opened and counting (through --db, in a worker of the CLI's)
  // more CPU than a worker takes to load: it counts
  if (through === 'db') await until(() => childrenOf(child.pid!).some((pid) => cpuMs(pid) > 1_500), 'the worker counts', 20_000);
  else await new Promise((resolve) => setTimeout(resolve, 500));
  const workers = childrenOf(child.pid!);
  expect(workers).toHaveLength(through === 'db' ? 1 : 0);
  const interrupted = performance.now();
  child.kill('SIGINT');
  const code = await exited;
  expect(performance.now() - interrupted).toBeLessThan(3_000);
  expect(stderr).toBe('interrupted: the lake query was stopped\n');
  expect(code).toBe(0);
  await untilGone(workers);
}, 60_000);
