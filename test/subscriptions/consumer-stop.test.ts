import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import { startConsumer, type ConsumerOutcome } from '../../src/subscriptions/consumer.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { activeTimers, watchStore } from '../support/watched-store.js';
import { until } from './processes.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-consumer-stop-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

// beats every 10 ms: a timer left behind would fire twenty times during the watch below
const FAST = { heartbeatMs: 10, leaseMs: 200, checkpointMs: 10 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('after stop() no timer of a consumer fires: lone or grouped, no call reaches the store and no timer is left', async () => {
  const store = openSqliteStore({ path: join(folder, `stop-${files++}.db`) });
  const timers = activeTimers();
  const watched = watchStore(store);
  for (let i = 0; i < 10; i++) await store.append(`order-${i}`, [{ type: 'Placed', data: { i } }]);
  let handled = 0;
  const handler = () => void handled++;
  const consumers = [
    await startConsumer(watched.store, { name: 'lone', handler, ...FAST }),
    await startConsumer(watched.store, { name: 'grouped', group: { partitions: 2 }, member: 'a', handler, ...FAST }),
    await startConsumer(watched.store, { name: 'grouped', group: { partitions: 2 }, member: 'b', handler, ...FAST }),
  ];
  await until(() => handled >= 20, 'both consumers handled the log', 10_000);
  for (const consumer of consumers) expect(await consumer.stop()).toEqual({ state: 'stopped' });
  const calls = watched.calls;
  await sleep(200);
  expect(watched.calls - calls).toBe(0);
  expect(activeTimers()).toBeLessThanOrEqual(timers);
  await store.close();
});

it('a consumer whose store is closed beneath it ends by itself and says so once, a member without partitions too', async () => {
  const store = openSqliteStore({ path: join(folder, `closed-${files++}.db`) });
  const timers = activeTimers();
  const errors: unknown[] = [];
  const options = { name: 'orphans', group: { partitions: 1 }, handler: () => undefined, onError: (error: unknown) => errors.push(error), ...FAST };
  const a = await startConsumer(store, { ...options, member: 'a' });
  const b = await startConsumer(store, { ...options, member: 'b' });
  await until(async () => (await consumerStatus(store, ['orphans']))[0]?.members.length === 2 && a.partitions.length + b.partitions.length === 1, 'one member holds the partition, the other none', 10_000);
  await store.close();
  const ended = await Promise.race([Promise.all([a.done, b.done]), sleep(3_000).then(() => 'still running' as const)]);
  expect(ended).not.toBe('still running');
  for (const outcome of ended as ConsumerOutcome[]) {
    expect(outcome.state).toBe('faulted');
    expect(isTributaryError(outcome.error, 'STORE_CLOSED')).toBe(true);
  }
  const logged = errors.length;
  expect(logged).toBeLessThanOrEqual(2);
  await sleep(200);
  expect(errors.length).toBe(logged);
  expect(activeTimers()).toBeLessThanOrEqual(timers);
});
