import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

/** A TCP proxy to the real server that the test can cut and restore: an outage as clients see it. */
class Proxy {
  readonly #target: URL;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(target: string) {
    this.#target = new URL(target);
  }

  async up(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(Number(this.#target.port || 5432), this.#target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  async down(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  url(): string {
    const url = new URL(this.#target);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }
}

/** Runs `call` and classifies its outcome: ok, a retriable coded error, or something else (a failure of the test). */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return isTributaryError(error) && error.retriable ? 'retriable' : String(error);
  }
}

describe.skipIf(database === undefined)('postgres: faults', () => {
  it('connections killed by the server: in-flight calls fail retriably, later calls succeed, waiting resumes', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'faults_kill', poolSize: 4 });
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      await store.append('account-1', [{ type: 'Opened', data: {} }]);
      expect(await store.waitForPosition(0, { timeoutMs: 5000 })).toBe(1);
      const calls = Array.from({ length: 40 }, (_, i) =>
        outcome(
          i % 2 === 0 ? store.append(`account-${i}`, [{ type: 'Deposited', data: { i } }]) : store.readAll({ after: 0, limit: 10 }),
        ),
      );
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => o !== 'ok' && o !== 'retriable')).toEqual([]);

      const waiting = store.waitForPosition(await store.headPosition(), { timeoutMs: 10_000 });
      let appended: unknown;
      for (let attempt = 0; attempt < 20 && appended === undefined; attempt++) {
        appended = await store.append('account-1', [{ type: 'Deposited', data: {} }]).catch(() => undefined);
      }
      expect(appended).toBeDefined();
      const head = await store.headPosition();
      expect(await waiting).toBe(head);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it('a consumer rides out an outage: it reports retriable errors, keeps its place, and handles every event once back', async () => {
    const direct = await openPostgresStore({ url: database!.url, schema: 'faults_consumer', poolSize: 2 });
    const proxy = new Proxy(database!.url);
    await proxy.up();
    const store = await openPostgresStore({ url: proxy.url(), schema: 'faults_consumer', poolSize: 4, connectTimeoutMs: 500 });
    const handled: number[] = [];
    const errors: unknown[] = [];
    const consumer = await startConsumer(store, {
      name: 'survivor',
      handler: (event) => void handled.push(event.position),
      retry: { maxDelayMs: 100 },
      heartbeatMs: 100,
      leaseMs: 5_000,
      onError: (error) => errors.push(error),
    });
    try {
      for (let i = 0; i < 20; i++) await direct.append(`account-${i % 3}`, [{ type: 'Deposited', data: { i } }]);
      while (handled.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
      await proxy.down();
      for (let i = 20; i < 40; i++) await direct.append(`account-${i % 3}`, [{ type: 'Deposited', data: { i } }]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.filter((error) => !(isTributaryError(error) && error.retriable))).toEqual([]);
      await proxy.up();
      const deadline = Date.now() + 20_000;
      while (handled.length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(handled).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(consumer.state).toBe('live');
    } finally {
      await consumer.stop();
      await store.close();
      await direct.close();
      await proxy.down().catch(() => undefined);
    }
  });

  it('the server goes away and comes back: calls fail fast and retriably, then succeed; nothing hangs', async () => {
    const proxy = new Proxy(database!.url);
    await proxy.up();
    const store = await openPostgresStore({ url: proxy.url(), schema: 'faults_outage', poolSize: 4, connectTimeoutMs: 1000 });
    try {
      await store.append('account-1', [{ type: 'Opened', data: {} }]);
      const inFlight = Array.from({ length: 10 }, (_, i) => outcome(store.append(`account-${i}`, [{ type: 'Deposited', data: {} }])));
      await proxy.down();
      const during = await Promise.all(inFlight);
      expect(during.filter((o) => o !== 'ok' && o !== 'retriable')).toEqual([]);

      const started = Date.now();
      expect(await outcome(store.append('account-1', [{ type: 'Deposited', data: {} }]))).toBe('retriable');
      expect(await outcome(store.readStream('account-1'))).toBe('retriable');
      expect(await outcome(store.headPosition())).toBe('retriable');
      expect(Date.now() - started).toBeLessThan(10_000);

      await proxy.up();
      let back = 'never tried';
      for (let attempt = 0; attempt < 20 && back !== 'ok'; attempt++) {
        back = await outcome(store.append('account-1', [{ type: 'Deposited', data: {} }]));
      }
      expect(back).toBe('ok');
      expect((await store.readStream('account-1')).events.length).toBeGreaterThanOrEqual(2);
    } finally {
      await store.close();
      await proxy.down().catch(() => undefined);
    }
  });
});
