import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import type { EventData } from '../../src/core/event.js';
import { declaredProjection } from '../../src/projections/definition/file-definition.js';
import { defineProjection, lakeDirectoryOf, type ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { addDeclaredProjection, runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { findDocuments, queryLakes } from '../../src/projections/reading/queries.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { UNTAGGED_EVENT_COLUMNS, lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { LakeWriter } from '../../src/projections/sinks/lake-writer.js';
import type { EventStore } from '../../src/store/event-store.js';
import { until } from '../subscriptions/processes.js';

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

  it("a lake of events has each event's tags as a JSON column; one begun before tags keeps its columns until a rebuild", async () => {
    await withStore(async (store) => {
      const directory = join(folder, `lake-${stores}`);
      const lake = (name: string) => ({ name, version: 1, sink: lakeSink({ directory, rollRows: 2, rollMs: 50 }), handlers: { '*': writeEvent } });
      await store.append('booking-1', [booked('ada', 'hotel:1', 'room:7'), booked('bob')]);
      // the generation an older release began: its manifest lists the columns without tags
      const older = await LakeWriter.open({ directory: lakeDirectoryOf(directory, 'old_events', 1), columns: UNTAGGED_EVENT_COLUMNS });
      await older.close();
      for (const name of ['events', 'old_events']) {
        const running = await runProjection(store, lake(name), FAST);
        try {
          await waitForProjection(store, name, await store.headPosition(), { timeoutMs: 10_000 });
        } finally {
          await running.stop();
        }
      }
      expect((await queryLakes(store, 'SELECT position, tags FROM events ORDER BY position')).rows).toEqual([
        { position: 1, tags: '["hotel:1","room:7"]' },
        { position: 2, tags: '[]' },
      ]);
      expect((await queryLakes(store, "SELECT position FROM events WHERE list_contains(CAST(tags AS VARCHAR[]), 'room:7')")).rows).toEqual([{ position: 1 }]);
      expect((await queryLakes(store, 'SELECT count(*) AS n FROM old_events')).rows).toEqual([{ n: 2 }]);
      await expect(queryLakes(store, 'SELECT tags FROM old_events')).rejects.toThrow();
      const running = await runProjection(store, lake('old_events'), FAST);
      try {
        expect((await requestRebuild(store, 'old_events')).generation).toBe(2);
        await until(async () => (await projectionStatus(store, ['old_events']))[0]!.generation === 2, 'the rebuild switches readers over', 30_000);
      } finally {
        await running.stop();
      }
      expect((await queryLakes(store, 'SELECT position, tags FROM old_events ORDER BY position')).rows).toEqual([
        { position: 1, tags: '["hotel:1","room:7"]' },
        { position: 2, tags: '[]' },
      ]);
    });
  });
});
