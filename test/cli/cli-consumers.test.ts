import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-consumers-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let databases = 0;

function cli(args: string[], db: string) {
  const result = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', cwd: folder });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const freshDb = () => join(folder, `cli-${databases++}.db`);
const lines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function parkSome(db: string): Promise<void> {
  const store = openSqliteStore({ path: db });
  await store.append('payment-1', [{ type: 'Taken', data: {} }, { type: 'Poison', data: {}, id: '0190f7a4-1111-7000-8000-000000000001' }]);
  await store.append('payment-2', [{ type: 'Poison', data: {} }, { type: 'Taken', data: {} }]);
  const consumer = await startConsumer(store, {
    name: 'ledger',
    retry: { attempts: 2, initialDelayMs: 1 },
    handler: (event) => {
      if (event.type === 'Poison') throw new Error('cannot book it\nat line 2');
    },
  });
  while (consumer.state !== 'live' || (await store.consumers.listParked('ledger')).length < 2) await new Promise((r) => setTimeout(r, 5));
  await consumer.stop();
  await store.close();
}

describe('tributary CLI: tail, consumers, parked', () => {
  it('tail --no-follow prints history as NDJSON: the log, a filtered log, one stream', () => {
    const db = freshDb();
    cli(['append', 'order-1', '--type', 'Placed', '--data', '{"n":1}'], db);
    cli(['append', 'stock-1', '--type', 'Reserved', '--data', '{}'], db);
    cli(['append', 'order-2', '--type', 'Placed', '--data', '{"n":2}'], db);
    expect(lines(cli(['tail', '--after', '0', '--no-follow'], db).stdout).map((e) => e['position'])).toEqual([1, 2, 3]);
    expect(lines(cli(['tail', '--all', '--after', '0', '--category', 'order', '--no-follow'], db).stdout).map((e) => e['stream'])).toEqual([
      'order-1',
      'order-2',
    ]);
    expect(lines(cli(['tail', 'order-2', '--after', '0', '--no-follow'], db).stdout).map((e) => e['data'])).toEqual([{ n: 2 }]);
    expect(cli(['tail', '--no-follow'], db).stdout).toBe('');
    const both = cli(['tail', 'order-1', '--category', 'order'], db);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('INVALID_ARGUMENT');
  });

  it('tail follows live appends from other processes and ends cleanly on SIGTERM', async () => {
    const db = freshDb();
    cli(['append', 'order-1', '--type', 'Placed', '--data', '{}'], db);
    const child = spawn(process.execPath, [BIN, 'tail', '--after', '1', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    const received: Record<string, unknown>[] = [];
    const allArrived = new Promise<void>((done) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        received.push(JSON.parse(line) as Record<string, unknown>);
        if (received.length === 3) done();
      });
    });
    for (let i = 0; i < 3; i++) cli(['append', `order-${i + 2}`, '--type', 'Placed', '--data', `{"i":${i}}`], db);
    await allArrived;
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(received.map((e) => e['position'])).toEqual([2, 3, 4]);
  });

  it('consumers shows checkpoint, lag, state and parked count, as text and JSON', async () => {
    const db = freshDb();
    await parkSome(db);
    cli(['append', 'payment-3', '--type', 'Taken', '--data', '{}'], db);
    const [status] = JSON.parse(cli(['consumers', '--json'], db).stdout) as Record<string, unknown>[];
    expect(status).toMatchObject({ name: 'ledger', state: 'stopped', checkpoint: 4, head: 5, lagEvents: 1, parked: 2, members: [] });
    expect(cli(['consumers'], db).stdout).toMatch(/^ledger\tstopped\t4\/5\tlag=1\tlag_s=\d+\.\d\tparked=2\tmembers=-\n$/);
    const unknown = cli(['consumers', 'nobody'], db);
    expect(unknown.code).toBe(2);
  });

  it('parked lists, replays chosen events by position or id, and purges', async () => {
    const db = freshDb();
    await parkSome(db);
    const listed = cli(['parked', 'ledger'], db).stdout.split('\n').filter(Boolean);
    expect(listed).toEqual([
      '2\tpayment-1\tPoison\tattempts=2\tparked\tError: cannot book it',
      '3\tpayment-2\tPoison\tattempts=2\tparked\tError: cannot book it',
    ]);
    expect(cli(['parked', 'ledger', '--replay', '0190f7a4-1111-7000-8000-000000000001'], db).stdout).toBe('1 parked event(s) marked for replay\n');
    const parked = JSON.parse(cli(['parked', 'ledger', '--json'], db).stdout) as { position: number; replay: boolean; error: string }[];
    expect(parked.map((p) => [p.position, p.replay])).toEqual([
      [2, true],
      [3, false],
    ]);
    expect(parked[0]!.error).toContain('at line 2');
    expect(JSON.parse(cli(['parked', 'ledger', '--purge', '3', '--json'], db).stdout)).toEqual({ purged: 1 });
    expect(JSON.parse(cli(['parked', 'ledger', '--replay', '--json'], db).stdout)).toEqual({ replayed: 0 });
    expect(cli(['parked', 'ledger', '--purge'], db).stdout).toBe('1 parked event(s) purged\n');
    const missing = cli(['parked', 'nobody'], db);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('CONSUMER_NOT_FOUND');
    expect(cli(['parked', 'ledger', '--replay', 'x'], db).code).toBe(2);
  });
});
