import { expect } from 'vitest';
import { listProjections } from '../../src/projections/lifecycle/registry.js';
import { removeProjection } from '../../src/projections/lifecycle/remove.js';
import { nameTaken } from '../../src/projections/sinks/sql-text.js';
import type { EventStore } from '../../src/store/event-store.js';

/** What an upgraded store must show of a version-3 registry: its projection kept (when it had one), removable without leftovers, and the log still writable. */
export async function expectRegistryUpgraded(store: EventStore, hadRegistry: boolean): Promise<void> {
  const projections = await listProjections(store.sql!);
  expect(projections.map(({ name, livePosition }) => ({ name, livePosition }))).toEqual(hadRegistry ? [{ name: 'old_docs', livePosition: 7 }] : []);
  if (hadRegistry) await removeProjection(store, 'old_docs');
  expect(await listProjections(store.sql!)).toEqual([]);
  for (const name of ['old_docs', 'old_docs_g1']) expect(await nameTaken(store.sql!, name)).toBe(false);
  await store.append('order-1', [{ type: 'Placed', data: {} }]);
}
