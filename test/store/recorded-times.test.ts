import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends, type SqlBackendName } from '../support/backends.js';

const T0 = Date.UTC(2026, 2, 1, 9);

async function openWithClock(name: SqlBackendName, location: string, clock: () => number): Promise<EventStore> {
  if (name === 'sqlite') return openSqliteStore({ path: location, clock });
  const url = new URL(location);
  const schema = url.searchParams.get('schema')!;
  url.search = '';
  return openPostgresStore({ url: url.toString(), schema, clock });
}

describe.each(backends)('recorded times on $name', ({ name, location }) => {
  it('inline hooks get the time actually stored when the clock stepped back, and another handle never records an earlier one', async () => {
    let now = T0 + 60_000;
    const where = location('recorded-times');
    const store = await openWithClock(name, where, () => now);
    const other = await openWithClock(name, where, () => T0);
    try {
      await store.append('account-12345', [{ type: 'Deposited', data: { amount: 10 } }]);
      now = T0;
      const seen: number[] = [];
      const remove = store.sql!.addInlineHook(async (events) => void seen.push(...events.map((event) => event.recordedAtMillis)));
      await store.append('account-12345', [{ type: 'Withdrawn', data: { amount: 1 } }]);
      await store.appendMany([{ stream: 'account-9', events: [{ type: 'Opened', data: {} }, { type: 'Deposited', data: { amount: 2 } }] }]);
      remove();
      // a second handle, as another process would be, with a clock a minute behind
      await other.append('account-9', [{ type: 'Deposited', data: { amount: 3 } }]);
      now = T0 + 61_000;
      await store.append('account-9', [{ type: 'Deposited', data: { amount: 4 } }]);
      expect(seen).toEqual([T0 + 60_000, T0 + 60_000, T0 + 60_000]);
      const stored = (await store.readAll()).events.map((event) => event.recordedAtMillis);
      expect(stored).toEqual([T0 + 60_000, T0 + 60_000, T0 + 60_000, T0 + 60_000, T0 + 60_000, T0 + 61_000]);
      expect(await store.positionAt(new Date(T0 + 60_000))).toBe(5);
    } finally {
      await other.close();
      await store.close();
    }
  });
});
