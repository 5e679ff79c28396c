import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import { openStore } from '../../src/open/open-store.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import { AUDIT_CATEGORY, EVENT_REDACTED } from '../../src/store/audit.js';
import type { EventRedactedData } from '../../src/store/redaction.js';
import { redact } from '../../src/time/corrections/redact.js';
import { backends } from '../support/backends.js';

let stores = 0;

const insertNote = async (event: RecordedEvent, { tx, table }: TableContext) => {
  await tx.execute(tx.dialect.placeholders(`INSERT INTO ${table} (id, note) VALUES (?, ?)`), [event.id, JSON.stringify(event.data)]);
};

describe.each(backends)('projections told of redactions on $name', ({ location }) => {
  it("a projection's status counts the redactions of events it had applied, and a rebuild clears the advice", async () => {
    const store = await openStore(location(`redaction-notice-${++stores}`));
    try {
      await store.append('account-1', [{ type: 'Deposited', data: { note: 'card 4111' } }, { type: 'Deposited', data: { note: 'fine' } }]);
      await store.append('order-1', [{ type: 'Placed', data: { note: 'card 5500' } }]);
      const notes = {
        name: 'notes',
        version: 1,
        filter: { categories: ['account'] },
        sink: tableSink({ schema: (table: string) => [`CREATE TABLE ${table} (id TEXT PRIMARY KEY, note TEXT)`] }),
        handlers: { Deposited: insertNote },
      };
      const running = await runProjection(store, notes, { watchMs: 20 });
      await waitForProjection(store, 'notes', 3);
      await running.stop();
      // appended after the projection stopped: an event it has not applied
      await store.append('account-2', [{ type: 'Deposited', data: { note: 'later' } }]);
      const [secret] = (await store.readStream('account-1')).events;
      const [placed] = (await store.readStream('order-1')).events;
      const [later] = (await store.readStream('account-2')).events;
      expect((await projectionStatus(store, ['notes']))[0]!.redactions).toEqual({ count: 0, lastAt: null, rebuildAdvised: false });
      const { marker } = await redact(store, secret!.id, { reason: 'leak' });
      await redact(store, placed!.id, { reason: 'not its category' });
      await redact(store, later!.id, { reason: 'not applied yet' });
      const [status] = await projectionStatus(store, ['notes']);
      expect(status!.redactions).toEqual({ count: 1, lastAt: expect.any(String) as unknown, rebuildAdvised: true });
      expect(Date.parse(status!.redactions.lastAt!)).toBeGreaterThanOrEqual(Date.parse(marker.at) - 1000);

      const rebuilt = await runProjection(store, notes, { watchMs: 20 });
      const { generation } = await requestRebuild(store, 'notes');
      for (;;) {
        const [now] = await projectionStatus(store, ['notes']);
        if (now!.generation === generation && now!.position >= 4) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await rebuilt.stop();
      expect((await projectionStatus(store, ['notes']))[0]!.redactions).toEqual({ count: 0, lastAt: null, rebuildAdvised: false });
      const rows = await store.sql!.query<{ id: string; note: string }>('SELECT id, note FROM notes');
      expect(JSON.stringify(rows)).not.toContain('4111');
    } finally {
      await store.close();
    }
  });

  it('a projection whose filter takes the $audit category handles EventRedacted and drops what it kept', async () => {
    const store = await openStore(location(`redaction-notice-${++stores}`));
    try {
      await store.append('account-1', [{ type: 'Deposited', data: { note: 'card 4111' } }, { type: 'Deposited', data: { note: 'fine' } }]);
      const notes = {
        name: 'notes_told',
        version: 1,
        filter: { categories: ['account', AUDIT_CATEGORY] },
        sink: tableSink({ schema: (table: string) => [`CREATE TABLE ${table} (id TEXT PRIMARY KEY, note TEXT)`] }),
        handlers: {
          Deposited: insertNote,
          [EVENT_REDACTED]: async (event: RecordedEvent, { tx, table }: TableContext) => {
            const { eventId } = event.data as EventRedactedData;
            await tx.execute(tx.dialect.placeholders(`DELETE FROM ${table} WHERE id = ?`), [eventId]);
          },
        },
      };
      const running = await runProjection(store, notes, { watchMs: 20 });
      try {
        await waitForProjection(store, 'notes_told', 2);
        const [secret] = (await store.readStream('account-1')).events;
        await redact(store, secret!.id, { reason: 'leak' });
        await waitForProjection(store, 'notes_told', await store.headPosition());
        const rows = await store.sql!.query<{ note: string }>('SELECT note FROM notes_told');
        expect(rows.map((row) => JSON.parse(row.note) as unknown)).toEqual([{ note: 'fine' }]);
      } finally {
        await running.stop();
      }
    } finally {
      await store.close();
    }
  });
});
