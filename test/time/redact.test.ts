import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import { openStore } from '../../src/open/open-store.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import { EVENT_REDACTED, REDACTIONS_STREAM, eventTag, streamTag } from '../../src/store/audit.js';
import type { EventStore } from '../../src/store/event-store.js';
import { redactionAuditId } from '../../src/store/redaction.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { history } from '../../src/time/corrections/history.js';
import { redact } from '../../src/time/corrections/redact.js';
import { backends } from '../support/backends.js';
import { until } from '../support/processes.js';

let stores = 0;

/** Three deposits on account-1 (the second carries a card number) and one on account-2. */
async function accounts(location: (label: string) => string): Promise<{ store: EventStore; secret: RecordedEvent }> {
  const store = await openStore(location(`redact-${++stores}`));
  await store.append('account-1', [
    { type: 'Deposited', data: { amount: 100 } },
    { type: 'Deposited', data: { amount: 50, note: 'card 4111 1111 1111 1111' }, metadata: { correlationId: 'c-1', ip: '10.0.0.7' }, tags: ['customer:7'] },
    { type: 'Deposited', data: { amount: 25 } },
  ]);
  await store.append('account-2', [{ type: 'Deposited', data: { amount: 10 } }]);
  const secret = (await store.readStream('account-1')).events[1]!;
  return { store, secret };
}

const redactedShape = (reason: string, by: string | null) => ({ redacted: true, reason, at: expect.any(String) as unknown, by });

describe.each(backends)('redaction on $name', ({ location }) => {
  it('replaces data and metadata by the marker for every reader, and leaves id, type, place and tags', async () => {
    const { store, secret } = await accounts(location);
    try {
      const outcome = await redact(store, secret.id, { reason: 'card number in a note', by: 'dpo' });
      expect(outcome.alreadyRedacted).toBe(false);
      expect(outcome.marker).toEqual(redactedShape('card number in a note', 'dpo'));
      const read = (await store.readStream('account-1')).events;
      expect(read.map((event) => [event.id, event.type, event.revision, event.position])).toEqual([
        [read[0]!.id, 'Deposited', 0, 1],
        [secret.id, 'Deposited', 1, 2],
        [read[2]!.id, 'Deposited', 2, 3],
      ]);
      for (const event of [read[1]!, (await store.readAll({ categories: ['account'] })).events[1]!, (await store.readAll({ raw: true })).events[1]!]) {
        expect(event.data).toEqual(outcome.marker);
        expect(event.metadata).toEqual(outcome.marker);
        expect(event.tags).toEqual(['customer:7']);
        expect(event.recordedAtMillis).toBe(secret.recordedAtMillis);
        expect(event.toJsonText()).not.toContain('4111');
        expect(event.toJsonText()).not.toContain('10.0.0.7');
      }
      expect(read[0]!.data).toEqual({ amount: 100 });
      expect((await store.readStream('account-2')).events[0]!.data).toEqual({ amount: 10 });
      expect(await store.headPosition()).toBe(5);
      // another handle, as another process would read it
      const other = await openStore(store.location.startsWith('postgres') ? location(`redact-${stores}`) : store.location);
      try {
        expect((await other.readStream('account-1')).events[1]!.data).toEqual(outcome.marker);
      } finally {
        await other.close();
      }
    } finally {
      await store.close();
    }
  });

  it('redacting twice keeps the first marker and appends one audit event', async () => {
    const { store, secret } = await accounts(location);
    try {
      const first = await redact(store, secret.id, { reason: 'first' });
      const second = await redact(store, secret.id, { reason: 'second', by: 'someone' });
      expect(second.alreadyRedacted).toBe(true);
      expect(second.marker).toEqual(first.marker);
      const trail = (await store.readStream(REDACTIONS_STREAM)).events;
      expect(trail).toHaveLength(1);
      expect(trail[0]!).toMatchObject({ id: redactionAuditId(secret.id), type: EVENT_REDACTED });
      expect(trail[0]!.data).toEqual({ eventId: secret.id, stream: 'account-1', type: 'Deposited', revision: 1, position: 2, reason: 'first', at: first.marker.at, by: null });
      expect(trail[0]!.tags).toEqual([eventTag(secret.id), streamTag('account-1')]);
      expect((await store.readAll({ tags: [eventTag(secret.id)] })).events.map((event) => event.id)).toEqual([trail[0]!.id]);
    } finally {
      await store.close();
    }
  });

  it('a retry after a crash between the redaction and its audit event appends the audit event once', async () => {
    const { store, secret } = await accounts(location);
    try {
      // the in-place step alone, as a crash right after its commit leaves it: the marker stored, no audit event
      const marker = { redacted: true, reason: 'leak', at: '2026-12-01T00:00:00.000Z', by: null };
      const text = JSON.stringify(marker);
      await store.sql!.transaction((tx) => tx.execute(tx.dialect.placeholders('UPDATE events SET data = ?, metadata = ? WHERE position = ?'), [text, text, 2]));
      expect((await store.readStream(REDACTIONS_STREAM).catch(() => ({ events: [] }))).events).toHaveLength(0);
      const retried = await redact(store, secret.id, { reason: 'leak again' });
      expect(retried).toMatchObject({ alreadyRedacted: true, marker });
      await redact(store, secret.id, { reason: 'leak' });
      const trail = (await store.readStream(REDACTIONS_STREAM)).events;
      expect(trail).toHaveLength(1);
      expect(trail[0]!.data).toMatchObject({ eventId: secret.id, reason: 'leak', at: marker.at });
    } finally {
      await store.close();
    }
  });

  it('refuses an unknown event, an event of a $ stream, an empty reason, and a branch', async () => {
    const { store, secret } = await accounts(location);
    try {
      await expect(redact(store, '0190f1c2-0000-7000-8000-000000000000', { reason: 'x' })).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
      await expect(redact(store, 'not-an-id', { reason: 'x' })).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
      await expect(redact(store, secret.id, { reason: '' })).rejects.toMatchObject({ code: 'INVALID_CORRECTION', details: { field: 'reason' } });
      await expect(redact(store, secret.id, { reason: '   ' })).rejects.toMatchObject({ code: 'INVALID_CORRECTION' });
      await expect(redact(store, secret.id, { reason: 'x'.repeat(1001) })).rejects.toMatchObject({ code: 'INVALID_CORRECTION', details: { field: 'reason' } });
      await redact(store, secret.id, { reason: 'leak' });
      const audit = (await store.readStream(REDACTIONS_STREAM)).events[0]!;
      await expect(redact(store, audit.id, { reason: 'hide my tracks' })).rejects.toMatchObject({ code: 'INVALID_CORRECTION' });
      expect((await store.readStream(REDACTIONS_STREAM)).events[0]!.data).toMatchObject({ eventId: secret.id });
      await store.branches!.create('what-if', { at: 4 });
      const branch = store.branch!('what-if');
      await expect(redact(branch, secret.id, { reason: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      // the branch's view of the real log follows the real log's redaction
      expect((await branch.readStream('account-1')).events[1]!.data).toMatchObject({ redacted: true, reason: 'leak' });
    } finally {
      await store.close();
    }
  });

  it('drops the snapshots of the redacted event\'s stream', async () => {
    const { store, secret } = await accounts(location);
    try {
      await store.snapshots!.write({ stream: 'account-1', name: 'balance', version: 1, revision: 2, fromRevision: 0, state: '{"notes":["card 4111"]}' });
      await store.snapshots!.write({ stream: 'account-2', name: 'balance', version: 1, revision: 0, fromRevision: 0, state: '{"balance":10}' });
      expect(await store.snapshots!.read('account-1', 'balance')).not.toBeNull();
      await redact(store, secret.id, { reason: 'leak' });
      expect(await store.snapshots!.read('account-1', 'balance')).toBeNull();
      expect(await store.snapshots!.read('account-2', 'balance')).not.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('a consumer replayed from the start and a rebuilt projection see only the marker', async () => {
    const { store, secret } = await accounts(location);
    try {
      await redact(store, secret.id, { reason: 'leak' });
      const handled: RecordedEvent[] = [];
      const consumer = await startConsumer(store, { name: 'ledger', filter: { categories: ['account'] }, handler: (event) => void handled.push(event) });
      await until(() => handled.length === 4, 'four events handled');
      await consumer.stop();
      expect(handled[1]!.data).toMatchObject({ redacted: true, reason: 'leak' });
      expect(JSON.stringify(handled.map((event) => [event.data, event.metadata]))).not.toContain('4111');
      const notes = {
        name: 'account_notes',
        version: 1,
        filter: { categories: ['account'] },
        sink: tableSink({ schema: (table: string) => [`CREATE TABLE ${table} (id TEXT PRIMARY KEY, note TEXT)`] }),
        handlers: {
          Deposited: async (event: RecordedEvent, { tx, table }: TableContext) => {
            const note = JSON.stringify(event.data);
            await tx.execute(tx.dialect.placeholders(`INSERT INTO ${table} (id, note) VALUES (?, ?)`), [event.id, note]);
          },
        },
      };
      const running = await runProjection(store, notes, { watchMs: 20 });
      const { generation } = await requestRebuild(store, 'account_notes');
      for (;;) {
        const [status] = await projectionStatus(store, ['account_notes']);
        if (status!.generation === generation && status!.position >= 4) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await running.stop();
      const rows = await store.sql!.query<{ id: string; note: string }>('SELECT id, note FROM account_notes ORDER BY id');
      expect(rows).toHaveLength(4);
      expect(JSON.stringify(rows)).not.toContain('4111');
      expect(JSON.parse(rows.find((row) => row.id === secret.id)!.note)).toMatchObject({ redacted: true });
    } finally {
      await store.close();
    }
  });

  it("the history of the event's stream shows the redacted event and its redaction as such", async () => {
    const { store, secret } = await accounts(location);
    try {
      await redact(store, secret.id, { reason: 'leak' });
      const { entries } = await history(store, 'account-1');
      expect(entries.map((entry) => [entry.event.position, entry.kind])).toEqual([
        [1, 'event'],
        [2, 'redacted'],
        [3, 'event'],
        [5, 'redaction'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('an event with personal fields reads as its marker once redacted, and its neighbours are still decrypted', async () => {
    const store = await openStore(location(`redact-${++stores}`));
    try {
      await store.privacy!.declare('customer', { subject: 'data.customerId', fields: ['data.email'] });
      await store.append('customer-1', [
        { type: 'Joined', data: { customerId: 'ada', email: 'ada@example.com' } },
        { type: 'Moved', data: { customerId: 'ada', email: 'ada@example.org' } },
      ]);
      const [joined] = (await store.readStream('customer-1')).events;
      const { marker } = await redact(store, joined!.id, { reason: 'asked to be erased' });
      const events = (await store.readStream('customer-1')).events;
      expect(events[0]!.data).toEqual(marker);
      expect(events[1]!.data).toEqual({ customerId: 'ada', email: 'ada@example.org' });
    } finally {
      await store.close();
    }
  });

  it('a parked event replayed after its redaction is handled as its marker', async () => {
    const { store, secret } = await accounts(location);
    try {
      const handled: RecordedEvent[] = [];
      const consumer = await startConsumer(store, {
        name: 'fussy',
        filter: { categories: ['account'] },
        retry: { attempts: 1 },
        handler: (event) => {
          if (JSON.stringify(event.data).includes('4111')) throw new Error('a card number');
          handled.push(event);
        },
      });
      try {
        await until(() => handled.length === 3, 'the other three handled');
        expect((await store.consumers.listParked('fussy')).map((entry) => entry.position)).toEqual([2]);
        await redact(store, secret.id, { reason: 'leak' });
        expect(await store.consumers.requestReplay('fussy')).toBe(1);
        await until(() => handled.length === 4, 'the parked event handled again');
        expect(handled[3]!).toMatchObject({ id: secret.id, position: 2 });
        expect(handled[3]!.data).toMatchObject({ redacted: true, reason: 'leak' });
      } finally {
        await consumer.stop();
      }
    } finally {
      await store.close();
    }
  });

  it('an upcast type reads a redacted event as its marker, untouched', async () => {
    const store = await openStore(location(`redact-${++stores}`));
    try {
      const schemas = store.schemas!;
      await schemas.setCompatibility('CustomerJoined', 'NONE');
      await schemas.register('CustomerJoined', { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
      await store.append('customer-1', [{ type: 'CustomerJoined', data: { name: 'Ada' } }, { type: 'CustomerJoined', data: { name: 'Grace' } }]);
      await schemas.register('CustomerJoined', { type: 'object', properties: { fullName: { type: 'string' } }, required: ['fullName'] });
      await schemas.addUpcaster('CustomerJoined', 1, [{ op: 'rename', path: '/name', to: 'fullName' }]);
      schemas.upcaster('CustomerJoined', 1, (data) => ({ fullName: (data as { name: string }).name.toUpperCase() }));
      const [ada, grace] = (await store.readStream('customer-1')).events;
      expect(ada!.data).toEqual({ fullName: 'ADA' });
      const { marker } = await redact(store, grace!.id, { reason: 'asked to be forgotten' });
      const events = (await store.readStream('customer-1')).events;
      expect(events[0]!.data).toEqual({ fullName: 'ADA' });
      expect(events[1]!.data).toEqual(marker);
      expect(events[1]!.metadata).toEqual(marker);
      expect((await store.readAll({ types: ['CustomerJoined'] })).events[1]!.data).toEqual(marker);
    } finally {
      await store.close();
    }
  });
});
