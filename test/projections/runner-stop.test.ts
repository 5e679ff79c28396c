import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { addDeclaredProjection, runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { consumerNameOf } from '../../src/projections/definition/projection.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { activeTimers, watchStore } from '../support/watched-store.js';
import { until } from '../subscriptions/processes.js';
import { appendRounds, tallies } from './fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-runner-stop-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;
const freshStore = () => openSqliteStore({ path: join(folder, `runner-${files++}.db`) });

// every timer fires each 10 ms: one left running would call the store twenty times during a watch
const FAST = { watchMs: 10, heartbeatMs: 10, leaseMs: 200, pageSize: 50 };
const WATCH_MS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const orders = { name: 'orders', version: 1, sink: 'table', categories: ['shard'], fields: { n: 'data.n' } };

it('after stop() of a runner or of the declared projections, no timer fires and none is left', async () => {
  const store = freshStore();
  const timers = activeTimers();
  const watched = watchStore(store);
  await appendRounds(store, 3, 0, 5);
  await addDeclaredProjection(store, orders);
  const running = await runProjection(watched.store, tallies('tallies'), FAST);
  const declared = await runDeclaredProjections(watched.store, FAST);
  await until(async () => (await consumerStatus(store)).every((status) => status.checkpoint === 15), 'both projections caught up', 10_000);
  await running.stop();
  await declared.stop();
  const calls = watched.calls;
  await sleep(WATCH_MS);
  expect(watched.calls - calls).toBe(0);
  expect(activeTimers()).toBeLessThanOrEqual(timers);
  await store.close();
});

it('a runner whose first look fails after starting a feeder stops that feeder before it throws: nothing is left beating', async () => {
  const store = freshStore();
  const timers = activeTimers();
  const first = await runProjection(store, tallies('rebuilt'), FAST);
  await first.stop();
  const watched = watchStore(store);
  let feederStarted = false;
  // version 2 starts a rebuild: its feeder registers, then the switch (the log is empty, so it is caught up) fails
  watched.before = (name) => {
    if (name === 'consumers.register') feederStarted = true;
    else if (name === 'sql.transaction' && feederStarted) throw new Error('injected: the switch failed');
  };
  await expect(runProjection(watched.store, tallies('rebuilt', 2), FAST)).rejects.toThrow('injected');
  expect(feederStarted).toBe(true);
  const calls = watched.calls;
  await sleep(WATCH_MS);
  expect(watched.calls - calls).toBe(0);
  expect((await consumerStatus(store, [consumerNameOf('rebuilt', 2)]))[0]?.members).toEqual([]);
  expect(activeTimers()).toBeLessThanOrEqual(timers);
  await store.close();
});

it('runners and declared projections whose store is closed beneath them stop their timers, saying so a bounded number of times', async () => {
  const store = freshStore();
  const timers = activeTimers();
  await appendRounds(store, 3, 0, 5);
  await addDeclaredProjection(store, orders);
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  await runProjection(store, tallies('tallies'), { ...FAST, onError });
  await runDeclaredProjections(store, { ...FAST, onError });
  await until(async () => (await consumerStatus(store)).every((status) => status.checkpoint === 15), 'both projections caught up', 10_000);
  await store.close();
  await sleep(WATCH_MS);
  const logged = errors.length;
  // the runner, the supervisor and the runner it started, and their two feeders: at most once each
  expect(logged).toBeLessThanOrEqual(5);
  await sleep(WATCH_MS);
  expect(errors.length).toBe(logged);
  expect(activeTimers()).toBeLessThanOrEqual(timers);
});
