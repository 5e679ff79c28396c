import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore, openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { WalSync } from '../../src/backends/sqlite/sqlite-wal-sync.js';
import type { CopyBatch, CopyCheckpoint, LogCopySource, LogCopyTarget } from '../../src/store/log-copy.js';
import { SQLITE_UNDO_9 } from '../support/sqlite-versions.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-sqlite-copy-'));
let files = 0;
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let opened: SqliteEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.map((store) => store.close()));
  opened = [];
});

/** A settable clock: retention by age is judged against it. */
const clock = { now: 1_700_000_000_000 };

function open(path = join(folder, `store-${files++}.db`)): SqliteEventStore {
  const store = openSqliteStore({ path, clock: () => clock.now });
  opened.push(store);
  return store;
}

/** Copies what the source holds now into the target with the copy interface only, `size` events and changes a batch. */
async function copyAll(source: LogCopySource, target: LogCopyTarget, size = 4): Promise<number> {
  let batches = 0;
  for (;;) {
    const from = (await target.copyState())!.checkpoint;
    const { head, lastChange } = await source.copyHead();
    if (from.position >= head && from.change >= lastChange) return batches;
    const events = await source.readCopyEvents(from.position, head, size);
    const until = events.length === size ? events[events.length - 1]![0] : head;
    const changes = [];
    // a change goes with the batch that holds the events up to its head, and changes stay in order
    for (const change of await source.readStreamChanges(from.change, size)) {
      if (change.changed > lastChange || change.changedAt > until) break;
      changes.push(change);
    }
    const checkpoint = { position: until, change: changes.length === 0 ? from.change : changes[changes.length - 1]!.changed };
    await target.applyCopy(from, { events, changes, checkpoint, head, sourceHead: head });
    batches++;
  }
}

async function beginMirror(source: SqliteEventStore, target: SqliteEventStore): Promise<void> {
  await target.copyTarget.beginCopy(await source.copySource.storeId(), source.location, 'mirror');
}

const rows = (store: SqliteEventStore, sql: string) => store.sql.query(sql);

const STREAM_TABLE = `SELECT name, category, last_revision, last_position, state, deleted_before, truncate_before, max_count, max_age,
  custom_metadata, changed, changed_at, scavenged_revision, scavenged_recorded_at, scavenged_until FROM streams ORDER BY name`;

/** Everything a reader of either store can tell apart, read through the store and from its tables. */
async function everything(store: SqliteEventStore) {
  const listed = await store.listStreams({ limit: 1000 });
  const names = (await rows(store, 'SELECT name FROM streams ORDER BY name')).map((row) => row.name as string);
  return {
    head: await store.headPosition(),
    events: await store.copySource.readCopyEvents(0, Number.MAX_SAFE_INTEGER, 100_000),
    changes: await store.copySource.readStreamChanges(0, 100_000),
    lastChange: (await store.copySource.copyHead()).lastChange,
    streamTable: await rows(store, STREAM_TABLE),
    categories: await rows(store, 'SELECT category, position FROM event_categories ORDER BY category, position'),
    tags: await rows(store, 'SELECT tag, position FROM event_tags ORDER BY tag, position'),
    listed,
    categorySummary: await store.listCategories(),
    streams: await Promise.all(
      names.map(async (name) => ({
        info: await store.streamInfo(name),
        metadata: await store.getStreamMetadata(name),
        events: await store.readStream(name, { limit: 1000 }).then((page) => page.events.map((event) => event.toJSON()), (error: { code: string }) => error.code),
      })),
    ),
    tagged: (await store.readAll({ tags: ['order:1'], limit: 1000 })).events.map((event) => event.position),
    orders: (await store.readAll({ categories: ['order'], limit: 1000 })).events.map((event) => event.position),
  };
}

async function expectSameLog(source: SqliteEventStore, target: SqliteEventStore): Promise<void> {
  const [expected, actual] = [await everything(source), await everything(target)];
  expect(actual).toEqual(expected);
}

const many = (type: string, count: number, tags?: string[]) => Array.from({ length: count }, (_, n) => ({ type, data: { n, text: 'x'.repeat(n) }, ...(tags ? { tags } : {}) }));

describe('sqlite: migration 9', () => {
  it('a store of version 8 gets an id of its own and every stream row a change number and the head, so a copy carries them all', async () => {
    const path = join(folder, `v8-${files++}.db`);
    const before = open(path);
    await before.append('order-1', many('Placed', 3, ['order:1']));
    await before.append('cart-1', many('Added', 2));
    await before.setStreamMetadata('order-1', { maxCount: 10, custom: { team: 'orders' } });
    await before.tombstoneStream('session-1');
    await before.append('order-2', many('Placed', 1));
    await before.close();
    const db = new BetterSqlite3(path);
    db.exec(SQLITE_UNDO_9);
    db.pragma('user_version = 8');
    db.close();

    const store = open(path);
    const id = await store.copySource.storeId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await open().copySource.storeId()).not.toBe(id);
    const streams = await rows(store, 'SELECT name, changed, changed_at FROM streams ORDER BY changed');
    expect(streams.map((row) => row.changed_at)).toEqual([6, 6, 6, 6]);
    expect(new Set(streams.map((row) => row.changed)).size).toBe(4);
    expect(await store.copySource.copyHead()).toEqual({ head: 6, lastChange: Math.max(...streams.map((row) => row.changed as number)) });
    expect(await store.copyTarget.copyState()).toBeUndefined();

    const target = open();
    await beginMirror(store, target);
    await copyAll(store.copySource, target.copyTarget);
    await expectSameLog(store, target);
  });
});

describe('sqlite: the stream change counter', () => {
  it('numbers metadata, deletes, tombstones and scavenges in order at the head they were made at; appends leave it alone', async () => {
    const store = open();
    const changes = async (): Promise<Record<string, unknown[]>> =>
      Object.fromEntries((await rows(store, 'SELECT name, changed, changed_at FROM streams')).map((row) => [row.name as string, [row.changed, row.changed_at]]));
    await store.append('a-1', many('A', 2));
    expect(await changes()).toEqual({ 'a-1': [null, null] });
    await store.setStreamMetadata('a-1', { maxCount: 1 });
    await store.append('b-1', many('B', 1));
    await store.deleteStream('b-1');
    await store.tombstoneStream('c-1');
    await store.append('a-1', many('A', 2));
    expect(await changes()).toEqual({ 'a-1': [1, 2], 'b-1': [2, 3], 'c-1': [3, 3] });
    expect(await store.copySource.copyHead()).toEqual({ head: 5, lastChange: 3 });

    expect(await store.scavenge()).toEqual({ removed: 4 });
    expect(await changes()).toEqual({ 'a-1': [4, 5], 'b-1': [5, 5], 'c-1': [3, 3] });
    const floors = await rows(store, 'SELECT name, scavenged_revision, scavenged_recorded_at, scavenged_until FROM streams ORDER BY name');
    expect(floors).toEqual([
      { name: 'a-1', scavenged_revision: 3, scavenged_recorded_at: 0, scavenged_until: 5 },
      { name: 'b-1', scavenged_revision: 1, scavenged_recorded_at: 0, scavenged_until: 5 },
      { name: 'c-1', scavenged_revision: 0, scavenged_recorded_at: 0, scavenged_until: 0 },
    ]);
    // nothing left to remove: no stream changes
    expect(await store.scavenge()).toEqual({ removed: 0 });
    expect((await store.copySource.copyHead()).lastChange).toBe(5);
  });

  it('a change in the same commit as an append is made at the head after it', async () => {
    const store = open();
    await Promise.all([store.append('a-1', many('A', 3)), store.setStreamMetadata('a-1', { custom: { x: 1 } }), store.append('a-1', many('A', 1))]);
    expect(await rows(store, 'SELECT changed, changed_at FROM streams')).toEqual([{ changed: 1, changed_at: 3 }]);
  });

  it('records a revision floor no higher than the next revision, so events appended later are not taken for scavenged ones', async () => {
    const store = open();
    await store.append('a-1', many('A', 3));
    await store.setStreamMetadata('a-1', { truncateBefore: 100 });
    expect(await store.scavenge()).toEqual({ removed: 3 });
    expect(await rows(store, 'SELECT scavenged_revision, scavenged_until FROM streams')).toEqual([{ scavenged_revision: 3, scavenged_until: 3 }]);
  });

  it('records the age floor of a scavenge by age', async () => {
    const store = open();
    await store.setStreamMetadata('t-1', { maxAge: 10 });
    await store.append('t-1', many('T', 2));
    clock.now += 20_000;
    await store.append('t-1', many('T', 1));
    expect(await store.scavenge()).toEqual({ removed: 2 });
    expect(await rows(store, 'SELECT scavenged_revision, scavenged_recorded_at FROM streams')).toEqual([
      { scavenged_revision: 0, scavenged_recorded_at: clock.now - 10_000 },
    ]);
  });
});

describe('sqlite: what a copy reads of its source', () => {
  it('reads no event and no stream change of a commit not yet on disk', async () => {
    const path = join(folder, `gated-${files++}.db`);
    await openSqliteStore({ path }).close();
    const held: (() => void)[] = [];
    let holding = false;
    const db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const store = new SqliteEventStore(db, path, Date.now, {
      walSync: new WalSync(path, (_fd, done) => (holding ? held.push(() => done(null)) : done(null))),
    });
    opened.push(store);
    await store.append('a-1', many('A', 2));
    await store.setStreamMetadata('a-1', { custom: { v: 1 } });
    holding = true;
    // the syncs held are let go even when an expectation fails, so the store closes
    const release = () => {
      holding = false;
      for (const sync of held.splice(0)) sync();
    };
    try {
      const unsynced = Promise.all([store.append('a-1', many('A', 1)), store.setStreamMetadata('b-1', { custom: { v: 2 } })]);
      while (held.length === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(await rows(store, 'SELECT count(*) AS n FROM events')).toEqual([{ n: 3 }]);
      expect(await store.copySource.copyHead()).toEqual({ head: 2, lastChange: 1 });
      expect((await store.copySource.readCopyEvents(0, 10, 10)).map((row) => row[0])).toEqual([1, 2]);
      expect((await store.copySource.readStreamChanges(0, 10)).map((change) => change.name)).toEqual(['a-1']);
      release();
      await unsynced;
      expect(await store.copySource.copyHead()).toEqual({ head: 3, lastChange: 2 });
      expect((await store.copySource.readStreamChanges(0, 10)).map((change) => [change.name, change.changed, change.changedAt])).toEqual([
        ['a-1', 1, 2],
        ['b-1', 2, 3],
      ]);
    } finally {
      release();
    }
  });
});

describe('sqlite: an exact copy into another SQLite store', () => {
  it('copies appends with tags, metadata, soft deletes and re-appends, tombstones and scavenges, and follows incrementally', async () => {
    const source = open();
    const target = open();
    await source.append('order-1', many('Placed', 3, ['order:1', 'customer:7']));
    await source.append('cart-1', many('Added', 3));
    await source.appendMany([
      { stream: 'order-2', events: many('Placed', 2, ['customer:7']) },
      { stream: 'audit-1', events: many('Seen', 6) },
    ]);
    await source.setStreamMetadata('temp-1', { maxAge: 10 });
    await source.append('temp-1', many('Tick', 3));
    await beginMirror(source, target);
    expect(await copyAll(source.copySource, target.copyTarget)).toBeGreaterThan(1);
    await expectSameLog(source, target);

    // changes to streams the copy holds already, scavenges among them
    await source.setStreamMetadata('order-1', { custom: { owner: 'orders' } });
    await source.append('order-1', many('Paid', 1, ['order:1']));
    await source.deleteStream('cart-1');
    await source.append('cart-1', many('Added', 2));
    await source.append('session-1', many('Started', 2));
    await source.tombstoneStream('session-1');
    await source.tombstoneStream('ghost-1');
    await source.setStreamMetadata('config-1', { custom: { a: 1 } });
    await source.setStreamMetadata('audit-1', { maxCount: 2 });
    clock.now += 20_000;
    await source.append('temp-1', many('Tick', 1));
    await source.deleteStream('order-2');
    await source.scavenge();
    await source.append('audit-1', many('Seen', 2));
    await copyAll(source.copySource, target.copyTarget, 3);
    await expectSameLog(source, target);

    // a soft-deleted stream the copy holds comes back to life by an append alone; the newest events scavenged, the head stands past them
    expect((await target.streamInfo('order-2')).deleted).toBe('soft');
    await source.append('order-2', many('Placed', 1));
    await source.append('order-3', many('Placed', 2, ['order:1']));
    await source.append('late-1', many('Late', 3));
    await source.tombstoneStream('late-1');
    await source.scavenge();
    expect(await source.copySource.readCopyEvents(0, 1000, 1000).then((events) => events[events.length - 1]![0])).toBeLessThan(await source.headPosition());
    await copyAll(source.copySource, target.copyTarget, 5);
    await expectSameLog(source, target);
    expect((await target.streamInfo('order-2')).deleted).toBe(false);
    expect((await target.copyTarget.copyState())!.checkpoint).toEqual({
      position: await source.headPosition(),
      change: (await source.copySource.copyHead()).lastChange,
    });

    // a copy of the copy is the same again: the copy carries change numbers and heads
    const third = open();
    await beginMirror(target, third);
    await copyAll(target.copySource, third.copyTarget, 100);
    await expectSameLog(source, third);

    // promoted, the copy continues the source's positions
    await target.copyTarget.updateCopyState({ role: 'promoted' });
    const head = await source.headPosition();
    expect(await target.append('order-9', many('Placed', 1))).toMatchObject({ position: head + 1 });
  });

  it('copies the events a scavenge had not yet removed when the copy took them, and removes them when the scavenge arrives', async () => {
    const source = open();
    const target = open();
    await source.append('audit-1', many('Seen', 5));
    await beginMirror(source, target);
    await copyAll(source.copySource, target.copyTarget);
    await source.setStreamMetadata('audit-1', { maxCount: 1 });
    await source.scavenge();
    expect((await target.readStream('audit-1', { limit: 100 })).events).toHaveLength(5);
    expect(await rows(target, 'SELECT count(*) AS n FROM event_categories')).toEqual([{ n: 5 }]);
    await copyAll(source.copySource, target.copyTarget);
    expect((await target.readStream('audit-1', { limit: 100 })).events.map((event) => event.revision)).toEqual([4]);
    expect(await rows(target, 'SELECT count(*) AS n FROM event_categories')).toEqual([{ n: 1 }]);
    await expectSameLog(source, target);
  });

  it('raises the copy\'s head no further than its checkpoint, so its readers never see a head before the events under it, and wakes them', async () => {
    const source = open();
    const target = open();
    await source.append('a-1', many('A', 6));
    await beginMirror(source, target);
    const events = await source.copySource.readCopyEvents(0, 6, 2);
    const waiting = open(target.location).waitForPosition(0, { timeoutMs: 5000 });
    await target.copyTarget.applyCopy({ position: 0, change: 0 }, { events, changes: [], checkpoint: { position: 2, change: 0 }, head: 6, sourceHead: 6 });
    expect(await target.headPosition()).toBe(2);
    expect(await target.copyTarget.copyState()).toMatchObject({ checkpoint: { position: 2, change: 0 }, sourceHead: 6, role: 'mirror' });
    expect(await waiting).toBe(2);
  });

  it('copies the other tables: consumer checkpoints without their owners, parked events, tokens, lake projections, snapshots', async () => {
    const source = open();
    const target = open();
    await source.append('order-1', many('Placed', 2));
    await source.tokens.create({ id: 't1', name: 'reader', secretHash: 'h', scopes: ['read:*'] });
    await source.sql.transaction(async (tx) => {
      await tx.execute("INSERT INTO consumers (name, filter, fault, created_at) VALUES ('search', '{}', NULL, 5)");
      await tx.execute("INSERT INTO consumer_partitions (consumer, partition, checkpoint, owner) VALUES ('search', 0, 2, 'member-a'), ('search', 1, 1, NULL)");
      await tx.execute(
        "INSERT INTO parked_events (consumer, position, event_id, stream, type, error, attempts, parked_at, replay) VALUES ('search', 1, 'e', 'order-1', 'Placed', 'boom', 3, 9, 0)",
      );
      await tx.execute(
        `INSERT INTO tributary_projections (name, sink, mode, live, live_version, live_position, location, updated_at, removed_at)
         VALUES ('lake', 'lake', 'async', 1, 1, 2, '/lake', 1, NULL), ('gone', 'lake', 'async', 1, 1, 2, '/gone', 1, 3),
                ('orders', 'table', 'async', 1, 1, 2, NULL, 1, NULL)`,
      );
    });
    await source.snapshots.write({ stream: 'order-1', name: 'totals', version: 1, revision: 1, fromRevision: 0, state: '{"n":2}' });
    // the target's own table projection is rebuilt there, and keeps its registry row
    await target.sql.transaction((tx) =>
      tx.execute(`INSERT INTO tributary_projections (name, sink, mode, live, live_version, live_position, location, updated_at)
        VALUES ('mine', 'table', 'async', 1, 1, 0, NULL, 1)`),
    );
    await expect(target.copyTarget.isEmpty()).resolves.toBe(false);
    await target.sql.transaction((tx) => tx.execute("DELETE FROM tributary_projections"));
    await target.copyTarget.beginCopy(await source.copySource.storeId(), source.location, 'restored');
    await target.sql.transaction((tx) =>
      tx.execute(`INSERT INTO tributary_projections (name, sink, mode, live, live_version, live_position, location, updated_at)
        VALUES ('mine', 'table', 'async', 1, 1, 0, NULL, 1)`),
    );

    const tables = await source.copySource.readTables();
    expect(tables.map((table) => table.table)).toEqual(['consumers', 'consumer_partitions', 'parked_events', 'tokens', 'tributary_projections', 'tributary_snapshots']);
    const partitions = tables.find((table) => table.table === 'consumer_partitions')!;
    expect(partitions.rows.map((row) => row[partitions.columns.indexOf('owner')])).toEqual([null, null]);
    const projections = tables.find((table) => table.table === 'tributary_projections')!;
    expect(projections.rows.map((row) => row[projections.columns.indexOf('name')])).toEqual(['lake']);

    await target.copyTarget.replaceTables(tables);
    await target.copyTarget.replaceTables(tables);
    expect(await target.copySource.readTables()).toEqual(tables);
    expect((await rows(target, 'SELECT name FROM tributary_projections ORDER BY name')).map((row) => row.name)).toEqual(['lake', 'mine']);
    expect(await target.tokens.find('t1')).toMatchObject({ name: 'reader', scopes: ['read:*'] });
    expect(await target.consumers.get('search')).toBeDefined();
    await expect(target.copyTarget.replaceTables([{ table: 'events', columns: ['position'], rows: [[1]] }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('sqlite: what a copy target refuses', () => {
  it('refuses to begin a copy into a store with events, or with only a token, or of itself', async () => {
    const source = open();
    const id = await source.copySource.storeId();
    const withEvents = open();
    await withEvents.append('a-1', many('A', 1));
    await expect(withEvents.copyTarget.beginCopy(id, 'x', 'mirror')).rejects.toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'not-empty' } });
    const withToken = open();
    await withToken.tokens.create({ id: 't1', name: 'n', secretHash: 'h', scopes: ['admin'] });
    expect(await withToken.copyTarget.isEmpty()).toBe(false);
    await expect(withToken.copyTarget.beginCopy(id, 'x', 'mirror')).rejects.toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'not-empty' } });
    await expect(source.copyTarget.beginCopy(id, 'x', 'mirror')).rejects.toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'same-store' } });
    const empty = open();
    expect(await empty.copyTarget.isEmpty()).toBe(true);
    await empty.copyTarget.beginCopy(id, source.location, 'mirror');
    expect(await empty.copyTarget.isEmpty()).toBe(false);
    await expect(empty.copyTarget.beginCopy(id, source.location, 'mirror')).rejects.toMatchObject({ code: 'MIRROR_TARGET_REFUSED' });
    expect(await source.copyTarget.copyState()).toBeUndefined();
    expect(await empty.copyTarget.copyState()).toMatchObject({ sourceId: id, sourceLocation: source.location, role: 'mirror', checkpoint: { position: 0, change: 0 } });
  });

  it('applies nothing of a batch whose checkpoint is not the stored one, or on a store that is no copy', async () => {
    const source = open();
    const target = open();
    await source.append('a-1', many('A', 4));
    const events = await source.copySource.readCopyEvents(0, 4, 10);
    const batch = (from: CopyCheckpoint): CopyBatch => ({ events: events.filter((row) => row[0] > from.position), changes: [], checkpoint: { position: 4, change: 0 }, head: 4, sourceHead: 4 });
    await expect(target.copyTarget.applyCopy({ position: 0, change: 0 }, batch({ position: 0, change: 0 }))).rejects.toMatchObject({
      code: 'MIRROR_DIVERGED',
      details: { expected: { position: 0, change: 0 }, found: null },
    });
    await beginMirror(source, target);
    await expect(target.copyTarget.applyCopy({ position: 2, change: 0 }, batch({ position: 2, change: 0 }))).rejects.toMatchObject({
      code: 'MIRROR_DIVERGED',
      details: { expected: { position: 2, change: 0 }, found: { position: 0, change: 0 } },
    });
    expect(await target.headPosition()).toBe(0);
    await target.copyTarget.applyCopy({ position: 0, change: 0 }, batch({ position: 0, change: 0 }));
    await expect(target.copyTarget.applyCopy({ position: 0, change: 0 }, batch({ position: 0, change: 0 }))).rejects.toMatchObject({ code: 'MIRROR_DIVERGED' });
    await expectSameLog(source, target);
  });

  it('refuses a batch holding a position the target has already, and writes none of it', async () => {
    const source = open();
    const path = join(folder, `diverged-${files++}.db`);
    const target = open(path);
    await source.append('a-1', many('A', 3));
    await beginMirror(source, target);
    // another writer behind the store's back
    const db = new BetterSqlite3(path);
    db.exec("INSERT INTO events (position, stream_id, revision, id, stream, type, recorded_at, data) VALUES (2, 99, 0, 'other', 'x-1', 'X', 0, '{}')");
    db.close();
    const events = await source.copySource.readCopyEvents(0, 3, 10);
    await expect(
      target.copyTarget.applyCopy({ position: 0, change: 0 }, { events, changes: [], checkpoint: { position: 3, change: 0 }, head: 3, sourceHead: 3 }),
    ).rejects.toMatchObject({ code: 'MIRROR_DIVERGED', details: { position: 2 } });
    expect(await rows(target, 'SELECT position FROM events')).toEqual([{ position: 2 }]);
    expect(await rows(target, 'SELECT count(*) AS n FROM streams')).toEqual([{ n: 0 }]);
    expect((await target.copyTarget.copyState())!.checkpoint).toEqual({ position: 0, change: 0 });
  });

  it('a mirror refuses every write of its own until promoted through another handle, and keeps answering reads', async () => {
    const source = open();
    await source.append('a-1', many('A', 2));
    const path = join(folder, `mirror-${files++}.db`);
    const mirror = open(path);
    await beginMirror(source, mirror);
    await copyAll(source.copySource, mirror.copyTarget);
    const sourceId = await source.copySource.storeId();
    const reopened = open(path);
    const inline = open(path);
    inline.sql.addInlineHook(async () => undefined);
    for (const store of [mirror, reopened, inline]) {
      const writes = [
        store.append('a-1', many('A', 1)),
        store.appendMany([{ stream: 'b-1', events: many('B', 1) }]),
        store.setStreamMetadata('a-1', { maxCount: 1 }),
        store.deleteStream('a-1'),
        store.tombstoneStream('a-1'),
        store.scavenge(),
      ];
      for (const write of writes) await expect(write).rejects.toMatchObject({ code: 'MIRROR_READ_ONLY', details: { source: sourceId } });
      expect((await store.readStream('a-1')).events).toHaveLength(2);
      expect(await store.headPosition()).toBe(2);
    }
    await source.append('a-1', many('A', 1));
    await copyAll(source.copySource, mirror.copyTarget);
    expect(await reopened.headPosition()).toBe(3);

    const other = open(path);
    await other.copyTarget.updateCopyState({ role: 'promoted', promoteRequestedAt: null, sourceHead: 3 });
    expect(await mirror.copyTarget.copyState()).toMatchObject({ role: 'promoted', sourceHead: 3, checkpoint: { position: 3 } });
    expect(await mirror.append('a-1', many('A', 1))).toMatchObject({ position: 4, nextExpectedRevision: 3 });
    expect(await reopened.append('a-1', many('A', 1))).toMatchObject({ position: 5 });
    expect(await inline.append('a-1', many('A', 1))).toMatchObject({ position: 6 });
    await reopened.setStreamMetadata('a-1', { maxCount: 1 });
    expect(await reopened.scavenge()).toEqual({ removed: 5 });
  });

  it('says a store that is no copy cannot have its copy state changed', async () => {
    const store = open();
    await expect(store.copyTarget.updateCopyState({ role: 'promoted' })).rejects.toMatchObject({ code: 'NOT_A_MIRROR', details: { location: store.location } });
  });
});
