import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { consumerNameOf } from '../../src/projections/definition/projection.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { tableExists } from '../../src/projections/sinks/sql-text.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { appendRounds, expectedTallies, tallies, tallyRows } from './fixtures.js';

const FAST = { watchMs: 50, pageSize: 200, leaseMs: 2_000, heartbeatMs: 200 };

/** This machine's clock, read without `Date.now`, which the test skews. */
const machineClock = () => Math.floor(performance.timeOrigin + performance.now());

/** The store at `location`, on the machine's clock: a SQLite store's own clock, PostgreSQL's is the server's. */
async function open(location: string): Promise<EventStore> {
  return location.startsWith('postgres') ? openStore(location) : openSqliteStore({ path: location, clock: machineClock });
}

describe.each(backends)('the lease clock of projections on $name', ({ location }) => {
  it('keeps a retired generation that another process still feeds, though this process’s clock runs minutes ahead', async () => {
    const store = await open(location('lease-clock'));
    const skewed = vi.spyOn(Date, 'now');
    try {
      await appendRounds(store, 3, 0, 5);
      const first = await runProjection(store, tallies('clocked', 1), FAST);
      await waitForProjection(store, 'clocked', await store.headPosition(), { timeoutMs: 30_000 });
      await first.stop();
      // another process, on the store's clock, still feeds generation 1 under a lease of a minute
      const retired = consumerNameOf('clocked', 1);
      await store.consumers.heartbeat(retired, { member: 'elsewhere', state: 'live', position: 0, leaseMs: 60_000 });
      skewed.mockImplementation(() => machineClock() + 5 * 60_000);
      const second = await runProjection(store, tallies('clocked', 2), FAST);
      try {
        await until(async () => (await projectionStatus(store))[0]?.version === 2, 'version 2 is what readers see', 30_000);
        expect(await tallyRows(store, 'clocked')).toEqual(expectedTallies(3, 5));
        // looks enough for the drop to have happened, had the other process's lease been judged by this clock
        await new Promise((resolve) => setTimeout(resolve, 20 * FAST.watchMs));
        expect(await store.consumers.get(retired)).toBeDefined();
        expect(await tableExists(store.sql!, 'clocked_g1')).toBe(true);
        await store.consumers.leave(retired, 'elsewhere');
        await until(async () => !(await tableExists(store.sql!, 'clocked_g1')), 'generation 1 is dropped once nobody feeds it', 10_000);
        expect(await store.consumers.get(retired)).toBeUndefined();
      } finally {
        await second.stop();
      }
    } finally {
      skewed.mockRestore();
      await store.close();
    }
  });
});
