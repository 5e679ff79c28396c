import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresEventStore } from '../../src/backends/postgres/postgres-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { CopiedStream, CopyCheckpoint, LogCopySource, LogCopyTarget } from '../../src/store/log-copy.js';
import { throwawayDatabase } from '../support/postgres.js';
import { postgresUndo9 } from '../support/postgres-versions.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALL = Number.MAX_SAFE_INTEGER;
let schemas = 0;

const schemaFor = new WeakMap<PostgresEventStore, string>();

/** A store in a schema of its own, or another handle on `schema`. */
async function open(schema = `copy_${schemas++}`, clock?: () => number): Promise<PostgresEventStore> {
  const store = await openPostgresStore({ url: database!.url, schema, poolSize: 4, clock, onMigrationProgress: () => undefined });
  schemaFor.set(store, schema);
  return store;
}

function schemaOf(store: PostgresEventStore): string {
  return schemaFor.get(store)!;
}

/** Runs `work` on the stores it opens and closes them all afterwards. */
async function withStores(work: (opened: PostgresEventStore[]) => Promise<void>): Promise<void> {
  const opened: PostgresEventStore[] = [];
  try {
    await work(opened);
  } finally {
    await Promise.all(opened.map((store) => store.close()));
  }
}

async function sql<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: database!.url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Copies what `source` holds now into `target`, through the copy interface only, in batches of at most
 * `page` events and `page` stream changes, each change placed after the events up to its head.
 */
async function copyAll(source: LogCopySource, target: LogCopyTarget, page: number): Promise<void> {
  let from: CopyCheckpoint = (await target.copyState())!.checkpoint;
  const head = await source.copyHead();
  while (from.position < head.head || from.change < head.lastChange) {
    let events = await source.readCopyEvents(from.position, head.head, page);
    let until = events.length === page ? events[events.length - 1]![0] : head.head;
    const candidates = (await source.readStreamChanges(from.change, page)).filter((change) => change.changed <= head.lastChange);
    const changes: CopiedStream[] = [];
    for (const change of candidates) {
      if (change.changedAt > until) break;
      changes.push(change);
    }
    if (changes.length === page) {
      // more changes may stand at or below `until`: stop the events at the last one taken
      until = changes[changes.length - 1]!.changedAt;
      events = events.filter(([position]) => position <= until);
    }
    const checkpoint = { position: until, change: changes[changes.length - 1]?.changed ?? from.change };
    await target.applyCopy(from, { events, changes, checkpoint, head: head.head, sourceHead: head.head });
    from = checkpoint;
  }
}

/** Everything a reader can see of a store's log and streams. */
async function everything(store: EventStore & { copySource: LogCopySource }) {
  const streams = [];
  for (let after = ''; ; ) {
    const page = await store.listStreams({ after, limit: 2 });
    streams.push(...page.streams);
    if (page.next === null) break;
    after = page.next;
  }
  const names = (await store.copySource.readStreamChanges(0, ALL)).map((change) => change.name);
  for (const stream of streams) names.push(stream.stream);
  const perStream = [];
  for (const name of [...new Set(names)].sort()) {
    perStream.push({ name, info: await store.streamInfo(name), metadata: await store.getStreamMetadata(name), events: (await store.readStream(name).catch((error: { code: string }) => error.code)) });
  }
  const categories = [...new Set(streams.map((stream) => stream.category))].sort();
  return {
    events: await store.copySource.readCopyEvents(0, ALL, ALL),
    changes: await store.copySource.readStreamChanges(0, ALL),
    streams,
    perStream,
    byCategory: await Promise.all(categories.map(async (category) => (await store.readAll({ categories: [category] })).events.map((event) => event.position))),
    byTag: await Promise.all(['vip', 'region:eu'].map(async (tag) => (await store.readAll({ tags: [tag] })).events.map((event) => event.position))),
    head: await store.headPosition(),
    categories: await store.listCategories(),
  };
}

const placed = (type: string, tags?: string[]) => ({ type, data: { at: type, quote: 'a "b" \\ c', text: 'é 漢字 🎉 \u0000' }, metadata: { by: 'test' }, tags });

describe.skipIf(database === undefined)('the exact copy on PostgreSQL', () => {
  it('migration 9 gives a store of version 8 an id and numbers every existing stream row at the head', async () => {
    const schema = `copy_${schemas++}`;
    const before = await open(schema);
    await before.append('order-1', [placed('Placed'), placed('Paid')]);
    await before.append('order-2', [placed('Placed')]);
    await before.setStreamMetadata('order-1', { maxCount: 5, custom: { owner: 'sales' } });
    await before.tombstoneStream('order-3');
    await before.close();
    await sql(`${postgresUndo9(schema)} DELETE FROM ${schema}.migrations WHERE version > 8`);

    await withStores(async (opened) => {
      const store = await open(schema);
      opened.push(store);
      expect(await store.copySource.storeId()).toMatch(UUID_V4);
      const changes = await store.copySource.readStreamChanges(0, ALL);
      expect(changes.map((change) => [change.name, change.changedAt])).toEqual([
        ['order-1', 3],
        ['order-2', 3],
        ['order-3', 3],
      ]);
      expect(new Set(changes.map((change) => change.changed)).size).toBe(3);
      expect(changes.find((change) => change.name === 'order-1')).toMatchObject({ lastRevision: 1, lastPosition: 2, maxCount: 5, customMetadata: '{"owner":"sales"}' });
      expect(changes.find((change) => change.name === 'order-3')).toMatchObject({ state: 2, lastRevision: -1 });
      expect(await store.copySource.copyHead()).toEqual({ head: 3, lastChange: Math.max(...changes.map((change) => change.changed)) });
      // the counter continues after the filled numbers
      await store.setStreamMetadata('order-2', { maxAge: 60 });
      const [next] = await store.copySource.readStreamChanges(Math.max(...changes.map((change) => change.changed)), ALL);
      expect(next).toMatchObject({ name: 'order-2', changedAt: 3, maxAge: 60 });
      expect(await store.copyTarget.copyState()).toBeUndefined();
    });
  });

  it('numbers metadata, deletes, tombstones and scavenges in order at the head they were made at; appends leave the number alone', async () => {
    await withStores(async (opened) => {
      const store = await open();
      opened.push(store);
      const id = await store.copySource.storeId();
      expect(id).toMatch(UUID_V4);
      const other = await open();
      opened.push(other);
      expect(await other.copySource.storeId()).not.toBe(id);

      await store.append('order-1', [placed('Placed'), placed('Paid'), placed('Shipped')]);
      await store.append('order-2', [placed('Placed')]);
      expect(await store.copySource.copyHead()).toEqual({ head: 4, lastChange: 0 });
      await store.setStreamMetadata('order-1', { maxCount: 1 });
      await store.append('order-1', [placed('Delivered')]);
      await store.deleteStream('order-2');
      await store.tombstoneStream('order-4');
      await store.append('order-5', [placed('Placed')]);
      await store.tombstoneStream('order-5');
      expect(await store.scavenge()).toEqual({ removed: 5 });

      const changes = await store.copySource.readStreamChanges(0, ALL);
      expect(changes.map((change) => [change.changed, change.name, change.changedAt])).toEqual([
        [3, 'order-4', 5],
        [5, 'order-1', 6],
        [6, 'order-2', 6],
        [7, 'order-5', 6],
      ]);
      expect(changes[1]).toMatchObject({ lastRevision: 3, lastPosition: 5, scavengedRevision: 3, scavengedRecordedAt: 0, scavengedUntil: 6, maxCount: 1 });
      expect(changes[2]).toMatchObject({ state: 1, deletedBefore: 1, scavengedRevision: 1, scavengedUntil: 6 });
      // a tombstone's floor is the revision after the last: an event can never come after it, and the floor stays in range
      expect(changes[3]).toMatchObject({ state: 2, scavengedRevision: 1, scavengedUntil: 6 });
      // order-4 lost no event to the scavenge: its row keeps the tombstone's number, with no floor
      expect(changes[0]).toMatchObject({ state: 2, scavengedRevision: 0, scavengedUntil: 0 });
      expect(await store.copySource.copyHead()).toEqual({ head: 6, lastChange: 7 });

      await store.append('order-1', [placed('Returned')]);
      await store.append('order-2', [placed('Reopened')]);
      expect(await store.copySource.readStreamChanges(0, ALL)).toEqual(
        changes.map((change) =>
          change.name === 'order-1'
            ? { ...change, lastRevision: 4, lastPosition: 7 }
            : change.name === 'order-2'
              ? { ...change, lastRevision: 1, lastPosition: 8, state: 0 }
              : change,
        ),
      );
      expect(await store.copySource.readStreamChanges(5, 1)).toEqual([expect.objectContaining({ name: 'order-2', changed: 6 })]);
    });
  });

  it('copies a store exactly through the copy interface alone, then again after more writes', async () => {
    let now = 1_000_000;
    const clock = () => now;
    await withStores(async (opened) => {
      // one clock for all: max-age retention hides the same events on each
      const source = await open(undefined, clock);
      const target = await open(undefined, clock);
      opened.push(source, target);
      await source.append('order-1', [placed('Placed', ['vip']), placed('Paid', ['vip', 'region:eu'])]);
      await source.appendMany([
        { stream: 'order-2', events: [placed('Placed', ['region:eu']), placed('Paid')] },
        { stream: 'cart-1', events: [placed('Added')] },
      ]);
      await source.setStreamMetadata('order-1', { maxCount: 1, custom: { owner: 'sales' } });
      await source.deleteStream('order-2');
      now += 1000;
      await source.append('order-2', [placed('Reopened', ['vip'])]);
      await source.tombstoneStream('cart-1');
      await source.setStreamMetadata('empty-1', { maxAge: 5 });
      await source.append('order-1', [placed('Shipped', ['region:eu'])]);
      await source.append('order-4', [placed('Placed')]);
      await source.deleteStream('order-4');

      expect(await target.copyTarget.isEmpty()).toBe(true);
      await target.copyTarget.beginCopy(await source.copySource.storeId(), source.location, 'mirror');
      expect(await target.copyTarget.isEmpty()).toBe(false);
      // the first copy carries the events a scavenge has yet to remove
      await copyAll(source.copySource, target.copyTarget, 2);
      const first = await everything(target);
      expect(first).toEqual(await everything(source));

      expect((await source.scavenge()).removed).toBeGreaterThan(0);
      now += 10_000;
      await source.append('order-3', [placed('Placed', ['vip'])]);
      await source.setStreamMetadata('order-3', { truncateBefore: 1 });
      await source.append('order-3', [placed('Paid', ['region:eu']), placed('Shipped')]);
      await source.deleteStream('order-1');
      await source.append('empty-1', [placed('Placed')]);
      expect((await source.scavenge()).removed).toBeGreaterThan(0);
      await source.append('order-1', [placed('Returned', ['vip'])]);
      await source.append('order-4', [placed('Reopened')]);

      await copyAll(source.copySource, target.copyTarget, 3);
      const copied = await everything(target);
      expect(copied).toEqual(await everything(source));
      // the scavenges removed from the copy events the first copy had brought
      const kept = new Set(copied.events.map(([position]) => position));
      expect(first.events.filter(([position]) => !kept.has(position)).length).toBeGreaterThan(1);
      expect(await target.copyTarget.copyState()).toMatchObject({
        sourceId: await source.copySource.storeId(),
        role: 'mirror',
        checkpoint: { position: copied.head, change: (await source.copySource.copyHead()).lastChange },
        sourceHead: copied.head,
      });

      // soft-deleted by one copy, live again by an append the next one brings
      await source.deleteStream('order-3');
      await copyAll(source.copySource, target.copyTarget, 3);
      expect(await target.streamInfo('order-3')).toMatchObject({ deleted: 'soft' });
      await source.append('order-3', [placed('Reopened')]);
      await copyAll(source.copySource, target.copyTarget, 3);
      expect(await target.streamInfo('order-3')).toMatchObject({ deleted: false, exists: true, lastRevision: 3 });
      expect(await everything(target)).toEqual(await everything(source));

      // a copy of the copy is exact too, and promoted it continues the positions and the change numbers
      const second = await open(undefined, clock);
      opened.push(second);
      await second.copyTarget.beginCopy(await target.copySource.storeId(), target.location, 'restored');
      await copyAll(target.copySource, second.copyTarget, 100);
      expect(await everything(second)).toEqual(await everything(target));
      await target.copyTarget.updateCopyState({ role: 'promoted' });
      const head = await target.headPosition();
      const { lastChange } = await target.copySource.copyHead();
      expect(await target.append('order-9', [placed('Placed')])).toMatchObject({ position: head + 1 });
      await target.setStreamMetadata('order-9', { maxCount: 3 });
      expect(await target.copySource.readStreamChanges(lastChange, ALL)).toEqual([expect.objectContaining({ name: 'order-9', changed: lastChange + 1, changedAt: head + 1 })]);
    });
  });

  it('moves the head up to the source head, never past the checkpoint, and wakes the target\'s waiters', async () => {
    await withStores(async (opened) => {
      const source = await open();
      const target = await open();
      opened.push(source, target);
      await source.append('order-1', [placed('Placed'), placed('Paid'), placed('Shipped')]);
      await target.copyTarget.beginCopy(await source.copySource.storeId(), source.location, 'mirror');
      const waiting = target.waitForPosition(0, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const events = await source.copySource.readCopyEvents(0, 2, 10);
      await target.copyTarget.applyCopy({ position: 0, change: 0 }, { events, changes: [], checkpoint: { position: 2, change: 0 }, head: 3, sourceHead: 3 });
      expect(await waiting).toBe(2);
      expect(await target.headPosition()).toBe(2);
      // the source's last position holds no event any more (a scavenge took it): the head still comes up to it
      await target.copyTarget.applyCopy({ position: 2, change: 0 }, { events: [], changes: [], checkpoint: { position: 3, change: 0 }, head: 3, sourceHead: 3 });
      expect(await target.headPosition()).toBe(3);
      expect((await target.readAll()).events.map((event) => event.position)).toEqual([1, 2]);
    });
  });

  it('refuses to begin a copy into a store that is not empty or is the source itself, and a batch that does not start at its checkpoint', async () => {
    await withStores(async (opened) => {
      const source = await open();
      const withEvents = await open();
      const withToken = await open();
      const target = await open();
      opened.push(source, withEvents, withToken, target);
      const sourceId = await source.copySource.storeId();
      await source.append('order-1', [placed('Placed'), placed('Paid')]);
      await withEvents.append('order-1', [placed('Placed')]);
      await withToken.tokens.create({ id: 'ops', name: 'ops', secretHash: 'x', scopes: ['admin'] });

      expect(await withToken.copyTarget.isEmpty()).toBe(false);
      for (const store of [withEvents, withToken]) {
        await expect(store.copyTarget.beginCopy(sourceId, 'source', 'mirror')).rejects.toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'not-empty' } });
        expect(await store.copyTarget.copyState()).toBeUndefined();
      }
      await expect(target.copyTarget.beginCopy(await target.copySource.storeId(), 'itself', 'mirror')).rejects.toMatchObject({
        code: 'MIRROR_TARGET_REFUSED',
        details: { reason: 'same-store' },
      });

      const events = await source.copySource.readCopyEvents(0, ALL, ALL);
      const batch = { events, changes: [], checkpoint: { position: 2, change: 0 }, head: 2, sourceHead: 2 };
      await expect(target.copyTarget.applyCopy({ position: 0, change: 0 }, batch)).rejects.toMatchObject({ code: 'MIRROR_DIVERGED', details: { found: null } });
      await target.copyTarget.beginCopy(sourceId, 'source', 'mirror');
      await expect(target.copyTarget.beginCopy(sourceId, 'source', 'mirror')).rejects.toMatchObject({ code: 'MIRROR_TARGET_REFUSED' });
      await expect(target.copyTarget.applyCopy({ position: 1, change: 0 }, batch)).rejects.toMatchObject({
        code: 'MIRROR_DIVERGED',
        details: { expected: { position: 1, change: 0 }, found: { position: 0, change: 0 } },
      });
      expect(await target.headPosition()).toBe(0);
      await target.copyTarget.applyCopy({ position: 0, change: 0 }, batch);
      await expect(target.copyTarget.applyCopy({ position: 0, change: 0 }, batch)).rejects.toMatchObject({ code: 'MIRROR_DIVERGED' });
      expect((await target.copyTarget.copyState())!.checkpoint).toEqual({ position: 2, change: 0 });
      await expect(withEvents.copyTarget.updateCopyState({ role: 'promoted' })).rejects.toMatchObject({ code: 'NOT_A_MIRROR' });
    });
  });

  it('refuses a batch whose positions a writer of the target took, and writes none of it', async () => {
    await withStores(async (opened) => {
      const source = await open();
      const target = await open();
      opened.push(source, target);
      // a handle opened as a normal store stays writable: the copy finds what it wrote
      const writer = await open(schemaOf(target));
      opened.push(writer);
      await source.append('order-1', [placed('Placed'), placed('Paid')]);
      await target.copyTarget.beginCopy(await source.copySource.storeId(), 'source', 'mirror');
      await writer.append('cart-1', [placed('Added')]);
      const events = await source.copySource.readCopyEvents(0, ALL, ALL);
      await expect(
        target.copyTarget.applyCopy({ position: 0, change: 0 }, { events, changes: [], checkpoint: { position: 2, change: 0 }, head: 2, sourceHead: 2 }),
      ).rejects.toMatchObject({ code: 'MIRROR_DIVERGED', details: { expected: { position: 0, change: 0 } } });
      expect((await target.copySource.readCopyEvents(0, ALL, ALL)).map((row) => row[2])).toEqual(['cart-1']);
      expect((await target.copyTarget.copyState())!.checkpoint).toEqual({ position: 0, change: 0 });
    });
  });

  it('refuses every write while a mirror, on this handle and on one opened later, until another handle promotes it', async () => {
    await withStores(async (opened) => {
      const source = await open();
      const mirror = await open();
      opened.push(source, mirror);
      const sourceId = await source.copySource.storeId();
      await source.append('order-1', [placed('Placed')]);
      await mirror.copyTarget.beginCopy(sourceId, 'source', 'mirror');
      await copyAll(source.copySource, mirror.copyTarget, 10);
      const later = await open(schemaOf(mirror));
      opened.push(later);
      for (const store of [mirror, later]) {
        const writes = [
          () => store.append('order-1', [placed('Paid')]),
          () => store.appendMany([{ stream: 'order-2', events: [placed('Placed')] }]),
          () => store.setStreamMetadata('order-1', { maxCount: 1 }),
          () => store.deleteStream('order-1'),
          () => store.tombstoneStream('order-1'),
          () => store.scavenge(),
        ];
        for (const write of writes) await expect(write()).rejects.toMatchObject({ code: 'MIRROR_READ_ONLY', details: { source: sourceId } });
        expect((await store.readStream('order-1')).events).toHaveLength(1);
      }
      expect(await mirror.headPosition()).toBe(1);

      const promoter = await open(schemaOf(mirror));
      opened.push(promoter);
      await promoter.copyTarget.updateCopyState({ role: 'promoted', promoteRequestedAt: null, sourceHead: 1 });
      expect(await mirror.append('order-1', [placed('Paid')])).toMatchObject({ position: 2 });
      await later.setStreamMetadata('order-1', { maxCount: 1 });
      expect(await later.scavenge()).toEqual({ removed: 1 });
      expect(await promoter.copyTarget.copyState()).toMatchObject({ role: 'promoted', promoteRequestedAt: null, checkpoint: { position: 1, change: 0 } });
    });
  });

  it('records a promote request and the source head, and moves the heartbeat', async () => {
    let now = 5_000;
    await withStores(async (opened) => {
      const target = await open(undefined, () => now);
      opened.push(target);
      await target.copyTarget.beginCopy('another-store', 'elsewhere', 'mirror');
      expect(await target.copyTarget.copyState()).toEqual({
        sourceId: 'another-store',
        sourceLocation: 'elsewhere',
        role: 'mirror',
        checkpoint: { position: 0, change: 0 },
        sourceHead: 0,
        promoteRequestedAt: null,
        updatedAt: 5_000,
      });
      now = 6_000;
      await target.copyTarget.updateCopyState({ promoteRequestedAt: 5_500, sourceHead: 42 });
      expect(await target.copyTarget.copyState()).toMatchObject({ role: 'mirror', promoteRequestedAt: 5_500, sourceHead: 42, updatedAt: 6_000 });
      await expect(target.append('order-1', [placed('Placed')])).rejects.toMatchObject({ code: 'MIRROR_READ_ONLY' });
      await target.copyTarget.updateCopyState({ role: 'promoted', promoteRequestedAt: null });
      expect(await target.copyTarget.copyState()).toMatchObject({ role: 'promoted', promoteRequestedAt: null, sourceHead: 42 });
      expect(await target.append('order-1', [placed('Placed')])).toMatchObject({ position: 1 });
    });
  });

  it('carries the other tables: checkpoints without their owners, parked events, tokens, lake projections only', async () => {
    await withStores(async (opened) => {
      const source = await open();
      const target = await open();
      opened.push(source, target);
      await source.consumers.register({ name: 'billing', partitions: 2, startAt: 0, filter: { categories: ['order'] } });
      await source.consumers.claim('billing', 'member-1', [0, 1]);
      await source.consumers.saveCheckpoints('billing', [{ partition: 1, position: 7 }]);
      await source.consumers.park('billing', { position: 3, eventId: '0b7a3b5e-8a43-4a3e-9d1b-5c1c2d3e4f50', stream: 'order-1', type: 'Placed', error: 'boom', attempts: 3 });
      await source.consumers.requestReplay('billing');
      await source.tokens.create({ id: 'ops', name: 'ops', secretHash: 'hash', scopes: ['admin', 'read:order'] });
      const schema = schemaOf(source);
      for (const [name, location, removed] of [['lake', 's3://bucket/orders', null], ['table', null, null], ['old-lake', 's3://old', 10]] as const) {
        await sql(
          `INSERT INTO ${schema}.tributary_projections (name, sink, mode, live, live_version, live_position, location, updated_at, removed_at)
           VALUES ($1, 'sink', 'live', 1, 1, 9, $2, 1, $3)`,
          [name, location, removed],
        );
      }
      const tables = await source.copySource.readTables();
      const byName = Object.fromEntries(tables.map((table) => [table.table, table]));
      expect(tables.map((table) => table.table)).toEqual(['consumers', 'consumer_partitions', 'parked_events', 'tokens', 'tributary_projections', 'tributary_snapshots']);
      const partitions = byName['consumer_partitions']!;
      expect(partitions.rows).toEqual([
        ['billing', 0, 0, null],
        ['billing', 1, 7, null],
      ]);
      expect(partitions.columns).toEqual(['consumer', 'partition', 'checkpoint', 'owner']);
      const parked = byName['parked_events']!;
      expect(parked.rows[0]![parked.columns.indexOf('replay')]).toBe(1);
      expect(parked.rows[0]![parked.columns.indexOf('event_id')]).toBe('0b7a3b5e-8a43-4a3e-9d1b-5c1c2d3e4f50');
      const projections = byName['tributary_projections']!;
      expect(projections.rows.map((row) => row[projections.columns.indexOf('name')])).toEqual(['lake']);

      await target.copyTarget.beginCopy(await source.copySource.storeId(), 'source', 'mirror');
      await target.tokens.create({ id: 'stale', name: 'stale', secretHash: 'x', scopes: [] });
      await sql(
        `INSERT INTO ${schemaOf(target)}.tributary_projections (name, sink, mode, live, live_version, live_position, location, updated_at)
         VALUES ('rebuilt-here', 'sink', 'live', 1, 1, 0, NULL, 1), ('stale-lake', 'sink', 'live', 1, 1, 0, 's3://stale', 1)`,
      );
      // a column the target's version does not have stays behind
      const tokens = { table: 'tokens', columns: [...byName['tokens']!.columns, 'from_a_newer_version'], rows: byName['tokens']!.rows.map((row) => [...row, 'x']) };
      await target.copyTarget.replaceTables(tables.map((table) => (table.table === 'tokens' ? tokens : table)));
      expect(await target.copyTarget.readTables()).toEqual(tables);
      // the target's own SQL-sink projection keeps its row; its lake projections are the source's
      expect((await sql<{ name: string }>(`SELECT name FROM ${schemaOf(target)}.tributary_projections ORDER BY name`)).map((row) => row.name)).toEqual([
        'lake',
        'rebuilt-here',
      ]);
      expect(await target.consumers.get('billing')).toMatchObject({ name: 'billing' });
      expect((await target.consumers.listParked('billing'))[0]).toMatchObject({ position: 3, replay: true, attempts: 3 });
      expect((await target.tokens.list()).map((token) => token.id)).toEqual(['ops']);
      await expect(target.copyTarget.replaceTables([{ table: 'events', columns: [], rows: [] }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });

  it('numbers changes in commit order while many connections change metadata and append at once', async () => {
    await withStores(async (opened) => {
      const first = await open();
      opened.push(first);
      const handles = [first];
      for (let i = 0; i < 4; i++) handles.push(await open(schemaOf(first)));
      opened.push(...handles.slice(1));
      const seen: CopiedStream[] = [];
      let writing = true;
      // a reader that follows the changes must never find one below a number it has passed
      const follow = (async () => {
        let after = 0;
        while (writing || after < (await first.copySource.copyHead()).lastChange) {
          for (const change of await first.copySource.readStreamChanges(after, 50)) {
            expect(change.changed).toBeGreaterThan(after);
            after = change.changed;
            seen.push(change);
          }
        }
      })();
      await Promise.all(
        handles.map(async (store, h) => {
          for (let i = 0; i < 25; i++) {
            await Promise.all([
              store.append(`load-${h}${i}`, [placed('Placed'), placed('Paid')]),
              store.setStreamMetadata(`meta-${h}${i}`, { maxCount: i + 1 }),
              i % 5 === 0 ? store.tombstoneStream(`gone-${h}${i}`) : Promise.resolve(),
            ]);
          }
        }),
      );
      writing = false;
      await follow;
      const changes = await first.copySource.readStreamChanges(0, ALL);
      expect(changes).toHaveLength(5 * 30);
      expect(seen.map((change) => change.name).sort()).toEqual(changes.map((change) => change.name).sort());
      for (let i = 1; i < changes.length; i++) {
        expect(changes[i]!.changed).toBeGreaterThan(changes[i - 1]!.changed);
        expect(changes[i]!.changedAt).toBeGreaterThanOrEqual(changes[i - 1]!.changedAt);
      }
      expect(new Set(changes.map((change) => change.changedAt)).size).toBeGreaterThan(10);
    });
  });
});
