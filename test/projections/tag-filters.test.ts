import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/backends/open-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import type { EventData } from '../../src/core/event.js';
import { declaredProjection } from '../../src/projections/definition/file-definition.js';
import { defineProjection, type ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { addDeclaredProjection, runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { findDocuments } from '../../src/projections/reading/queries.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import type { EventStore } from '../../src/store/event-store.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-tag-projections-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let stores = 0;
async function withStore(work: (store: EventStore) => Promise<void>): Promise<void> {
  const store = await openStore(join(folder, `store-${++stores}.db`));
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

const FAST = { watchMs: 50, pageSize: 200, leaseMs: 2_000, heartbeatMs: 200 };

const booked = (guest: string, ...tags: string[]): EventData => ({ type: 'RoomBooked', data: { guest }, tags });

/** Each booking of a hotel-1 room as a document keyed by guest. */
function hotelGuests(name: string): ProjectionDefinition<DocumentsContext> {
  return {
    name,
    version: 1,
    filter: { types: ['RoomBooked'], tags: ['hotel:1'] },
    sink: documentSink(),
    handlers: { RoomBooked: (event, documents) => documents.put((event.data as { guest: string }).guest, { tags: [...event.tags] }) },
  };
}

async function documentIds(store: EventStore, name: string): Promise<string[]> {
  return (await findDocuments(store, name, {})).map((document) => document.id);
}

async function expectInvalidProjection(work: () => unknown, field: string): Promise<void> {
  await expect((async () => work())()).rejects.toSatisfy((error) => isTributaryError(error, 'INVALID_PROJECTION') && error.details['field'] === field);
}

describe('projections filtered by tags on SQLite', () => {
  it('an inline projection applies, with the append, only the appended events carrying its tags', async () => {
    await withStore(async (store) => {
      await store.append('booking-1', [booked('ada', 'hotel:1', 'room:7'), booked('bob', 'hotel:2')]);
      const running = await runProjection(store, hotelGuests('guests'), { ...FAST, inline: true });
      try {
        await waitForProjection(store, 'guests', await store.headPosition(), { timeoutMs: 30_000 });
        expect(await documentIds(store, 'guests')).toEqual(['ada']);
        // no wait below: an inline projection changes in the append's own transaction
        await store.append('booking-2', [booked('cy'), booked('dee', 'room:7', 'hotel:1'), booked('eve', 'hotel:3')]);
        expect(await findDocuments(store, 'guests', {})).toEqual([
          { id: 'ada', doc: { tags: ['hotel:1', 'room:7'] } },
          { id: 'dee', doc: { tags: ['room:7', 'hotel:1'] } },
        ]);
      } finally {
        await running.stop();
      }
    });
  });

  it('a projection from a file takes tags: only events carrying them all are projected', async () => {
    await withStore(async (store) => {
      const file = { name: 'hotel_guests', version: 1, sink: 'documents', types: ['RoomBooked'], tags: ['hotel:1', 'room:7'], key: 'data.guest' };
      expect(declaredProjection(file).filter).toEqual({ types: ['RoomBooked'], tags: ['hotel:1', 'room:7'] });
      await addDeclaredProjection(store, file);
      await store.append('booking-1', [booked('ada', 'room:7', 'hotel:1'), booked('bob', 'hotel:1'), booked('cy', 'room:7')]);
      await store.append('booking-2', [booked('dee', 'hotel:1', 'room:7', 'vip'), { type: 'RoomBooked', data: { guest: 'eve' } }]);
      const running = await runDeclaredProjections(store, FAST);
      try {
        await waitForProjection(store, 'hotel_guests', await store.headPosition(), { timeoutMs: 30_000 });
        expect(await documentIds(store, 'hotel_guests')).toEqual(['ada', 'dee']);
      } finally {
        await running.stop();
      }
    });
  });

  it('a malformed tag in a projection filter is INVALID_PROJECTION naming the field, at definition', async () => {
    await withStore(async (store) => {
      const file = { name: 'hotel_guests', version: 1, sink: 'documents', key: 'data.guest' };
      for (const tags of [[''], ['room\u200b7'], ['x'.repeat(257)], ['hotel:1', 'hotel:1'], [7], 'hotel:1']) {
        await expectInvalidProjection(() => addDeclaredProjection(store, { ...file, tags }), 'tags');
        const filter = { tags } as unknown as { tags: string[] };
        await expectInvalidProjection(() => defineProjection({ ...hotelGuests('guests'), filter }), 'filter');
        await expectInvalidProjection(() => runProjection(store, { ...hotelGuests('guests'), filter }), 'filter');
      }
    });
  });
});
