import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { SseClient } from '../server/sse-client.js';
import { BIN, freePort, serve, until, type ServeProcess } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-shutdown-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// docs/http.md: requests in flight get 5 s (a long poll uses them all), then consumers and projections finish the event in hand
const GRACE_MS = 5_000;
const STOP_MARGIN_MS = 2_000;
const ERROR_LEVEL = 50;

function cli(args: string[], db: string) {
  const result = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', cwd: folder });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function declare(name: string, body: Record<string, unknown>): string {
  const file = join(folder, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, version: 1, ...body }));
  return file;
}

/** An HTTP group member that acknowledges every event it is sent. */
async function httpMember(base: string, member: string) {
  const client = await SseClient.open(`${base}/consumers/mailer/members/${member}/events?partitions=4&category=mail`);
  let acked = 0;
  const pump = setInterval(() => {
    for (const { event } of client.events.slice(acked)) {
      acked++;
      fetch(`${base}/consumers/mailer/members/${member}/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ position: event['position'] }),
      }).catch(() => undefined);
    }
  }, 5);
  return {
    received: () => acked,
    close() {
      clearInterval(pump);
      client.close();
    },
  };
}

/** Long polls for a position far ahead, asked again and again until the server goes away. */
function longPolls(base: string, count: number) {
  let stopped = false;
  return Promise.all(
    Array.from({ length: count }, async () => {
      while (!stopped) {
        try {
          await (await fetch(`${base}/head?after=1000000&timeoutMs=60000`)).text();
        } catch {
          stopped = true;
        }
      }
    }),
  );
}

/** Callers appending one event after another until the server refuses or goes away. */
function appendUntilRefused(base: string, callers: number) {
  let stopped = false;
  let acknowledged = 0;
  const running = Array.from({ length: callers }, async (_, caller) => {
    for (let i = 0; !stopped; i++) {
      const stream = caller % 2 === 0 ? `order-${caller}x${i % 10}` : `mail-${caller}x${i % 10}`;
      try {
        const response = await fetch(`${base}/streams/${stream}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events: [{ type: 'OrderPlaced', data: { orderId: `o${caller}-${i}`, sku: 'boots', qty: 1 + (i % 3) } }] }),
        });
        if (response.status === 201) acknowledged++;
        else stopped = true;
      } catch {
        stopped = true;
      }
    }
  });
  return { acknowledged: () => acknowledged, done: Promise.all(running) };
}

function problems(server: ServeProcess): string[] {
  return server.logs
    .filter((line) => line.level >= ERROR_LEVEL || JSON.stringify(line).includes('store is closed'))
    .map((line) => JSON.stringify(line));
}

it('a server running declared projections and HTTP group members stops on SIGTERM mid-load within the grace period, every time, quietly', async () => {
  const db = join(folder, 'shop.db');
  const seed = openSqliteStore({ path: db });
  for (let i = 0; i < 200; i++) await seed.append(`order-${i % 20}`, [{ type: 'OrderPlaced', data: { orderId: `s${i}`, sku: 'hat', qty: 1 } }]);
  await seed.close();
  expect(cli(['projections', 'add', declare('orders', { sink: 'table', categories: ['order'], key: 'data.orderId', fields: { sku: 'data.sku', qty: 'data.qty' }, columns: { qty: 'integer' } })], db).code).toBe(0);
  expect(cli(['projections', 'add', declare('events', { sink: 'lake', directory: join(folder, 'lake'), rollRows: 50, rollMs: 100 })], db).code).toBe(0);

  for (let round = 0; round < 4; round++) {
    // odd rounds keep long polls open, which hold the close for the whole grace period; rounds 2 and 3 drop the members as the signal lands
    const polling = round % 2 === 1;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await serve(['--port', String(port), '--db', db]);
    const members = [await httpMember(base, 'a'), await httpMember(base, 'b')];
    const live = await SseClient.open(`${base}/all/subscribe?after=0`);
    const polls = polling ? longPolls(base, 2) : Promise.resolve([]);
    const load = appendUntilRefused(base, 6);
    await until(() => load.acknowledged() >= 100 && members.some((member) => member.received() > 0), 'appends flow and the members receive events');
    const stoppedAt = performance.now();
    server.child.kill('SIGTERM');
    if (round >= 2) for (const member of members) member.close();
    const exit = await server.exited;
    await Promise.all([load.done, polls]);
    for (const member of members) member.close();
    live.close();
    const took = Math.round(exit.at - stoppedAt);
    expect({ round, code: exit.code, signal: exit.signal }).toEqual({ round, code: 0, signal: null });
    expect(took, `round ${round} took ${took} ms to exit`).toBeLessThan((polling ? GRACE_MS : 0) + STOP_MARGIN_MS);
    expect(problems(server), `round ${round}`).toEqual([]);
    expect(server.stderr, `round ${round}`).toEqual([]);
  }

  const store = openSqliteStore({ path: db });
  try {
    const statuses = await consumerStatus(store);
    // the projections and the group made progress across the rounds, and every member left cleanly
    for (const status of statuses) {
      expect(status.checkpoint, status.name).toBeGreaterThan(0);
      expect(status.members, status.name).toEqual([]);
    }
    expect(statuses.map((status) => status.name).sort()).toEqual(['mailer', 'projection:events:g1', 'projection:orders:g1']);
  } finally {
    await store.close();
  }
}, 180_000);
