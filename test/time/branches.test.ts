import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { subscribeToAll } from '../../src/subscriptions/log-subscription.js';
import { backends } from '../support/backends.js';
import { codeOf } from '../support/refusal.js';

const opened: EventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function open(location: string): Promise<EventStore> {
  const store = await openStore(location);
  opened.push(store);
  return store;
}

const placed = (n: number) => ({ type: 'Placed', data: { n } });
const summary = (events: readonly RecordedEvent[]) => events.map((e) => `${e.stream}@${e.revision}:${e.position}:${e.type}`);

/** Every event of `store`'s log, page by page. */
async function everything(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: 2 });
    events.push(...page.events);
    if (page.next === null) return events;
    after = page.next;
  }
}

/** A log of five events: order-1 at revisions 0..2 (positions 1, 2, 4), stock-1 at 0..1 (3, 5). */
async function seeded(location: string): Promise<EventStore> {
  const store = await open(location);
  await store.append('order-1', [placed(1), { type: 'Paid', data: {} }]);
  await store.append('stock-1', [{ type: 'Reserved', data: {} }]);
  await store.append('order-1', [{ type: 'Shipped', data: {} }]);
  await store.append('stock-1', [{ type: 'Released', data: {} }]);
  return store;
}

describe.each(backends)('what-if branches on $name', ({ location }) => {
  it('reads the real log up to the fork, then its own events, whose revisions continue the real ones', async () => {
    const store = await seeded(location('reads'));
    const info = await store.branches!.create('late', { at: 3 });
    expect(info).toMatchObject({ name: 'late', forkPosition: 3, createdBy: null, events: 0, categories: [] });
    const late = store.branch!('late');
    expect(summary((await late.readStream('order-1')).events)).toEqual(['order-1@0:1:Placed', 'order-1@1:2:Paid']);
    const result = await late.append('order-1', [{ type: 'ShipmentDelayed', data: { days: 1 } }, { type: 'Shipped', data: {} }], { expectedRevision: 1 });
    expect(result).toMatchObject({ stream: 'order-1', nextExpectedRevision: 3, position: 5 });
    expect(summary((await late.readStream('order-1')).events)).toEqual([
      'order-1@0:1:Placed',
      'order-1@1:2:Paid',
      'order-1@2:4:ShipmentDelayed',
      'order-1@3:5:Shipped',
    ]);
    expect(summary((await late.readStream('order-1', { direction: 'backward', limit: 3 })).events)).toEqual([
      'order-1@3:5:Shipped',
      'order-1@2:4:ShipmentDelayed',
      'order-1@1:2:Paid',
    ]);
    expect(await late.readStream('order-1', { from: 1, limit: 2 })).toMatchObject({ next: 3 });
    expect(await late.readStream('order-1', { direction: 'backward', from: 2, limit: 2 })).toMatchObject({ next: 0 });
    expect(summary(await everything(late))).toEqual([
      'order-1@0:1:Placed',
      'order-1@1:2:Paid',
      'stock-1@0:3:Reserved',
      'order-1@2:4:ShipmentDelayed',
      'order-1@3:5:Shipped',
    ]);
    expect(summary((await late.readAll({ categories: ['stock'] })).events)).toEqual(['stock-1@0:3:Reserved']);
    expect(summary((await late.readAll({ types: ['Shipped'] })).events)).toEqual(['order-1@3:5:Shipped']);
    expect(summary((await late.readAll({ after: 3, streamPrefix: 'order-1' })).events)).toEqual(['order-1@2:4:ShipmentDelayed', 'order-1@3:5:Shipped']);
    expect(await late.headPosition()).toBe(5);
    expect(await late.streamInfo('order-1')).toEqual({ stream: 'order-1', exists: true, lastRevision: 3, lastPosition: 5, deleted: false });
    expect(await late.streamInfo('stock-1')).toEqual({ stream: 'stock-1', exists: true, lastRevision: 0, lastPosition: 3, deleted: false });
    expect(await late.streamInfo('order-9')).toEqual({ stream: 'order-9', exists: false, lastRevision: -1, lastPosition: 0, deleted: false });
    expect(await codeOf(late.readStream('order-9'))).toBe('STREAM_NOT_FOUND');
    expect(await store.branches!.describe('late')).toMatchObject({ events: 2, categories: ['order'] });
  });

  it('leaves the real log, its positions and head as they were', async () => {
    const store = await seeded(location('real'));
    const before = summary(await everything(store));
    await store.branches!.create('what-if', { at: 2 });
    await store.branch!('what-if').append('order-1', [placed(9)], { expectedRevision: 1 });
    await store.branch!('what-if').append('payment-1', [{ type: 'Taken', data: {} }]);
    expect(summary(await everything(store))).toEqual(before);
    expect(await store.headPosition()).toBe(5);
    expect((await store.streamInfo('order-1')).lastRevision).toBe(2);
    expect(await codeOf(store.readStream('payment-1'))).toBe('STREAM_NOT_FOUND');
    const next = await store.append('order-1', [placed(6)], { expectedRevision: 2 });
    expect(next.position).toBe(6);
  });

  it('keeps branch events from a live subscriber and a consumer of the real log', async () => {
    const store = await seeded(location('consumers'));
    const subscribed: number[] = [];
    const stop = new AbortController();
    const following = (async () => {
      for await (const message of subscribeToAll(store, { after: 0, signal: stop.signal })) {
        if (message.kind === 'event') subscribed.push(message.event.position);
      }
    })().catch(() => undefined);
    const handled: string[] = [];
    const consumer = await startConsumer(store, { name: 'real-reader', checkpointMs: 10, handler: (event) => void handled.push(`${event.stream}:${event.type}`) });
    await store.branches!.create('hidden');
    await store.branch!('hidden').append('order-7', [{ type: 'Hypothetical', data: {} }]);
    await store.append('order-2', [placed(2)]);
    await eventually(() => handled.length === 6 && subscribed.includes(6));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(handled).not.toContain('order-7:Hypothetical');
    expect(handled).toHaveLength(6);
    expect(subscribed).toEqual([1, 2, 3, 4, 5, 6]);
    await consumer.stop();
    stop.abort();
    await following;
    expect(await codeOf(startConsumer(store.branch!('hidden'), { name: 'branch-reader', handler: () => undefined }))).toBe('BRANCH_UNSUPPORTED');
  });

  it('checks expected revisions against the branch, retries by id, and keeps two branches apart', async () => {
    const store = await seeded(location('revisions'));
    await store.branches!.create('a', { at: 5 });
    await store.branches!.create('b', { at: 1 });
    const a = store.branch!('a');
    const b = store.branch!('b');
    expect(await codeOf(a.append('order-1', [placed(1)], { expectedRevision: 1 }))).toBe('WRONG_EXPECTED_REVISION');
    expect(await codeOf(b.append('order-1', [placed(1)], { expectedRevision: 2 }))).toBe('WRONG_EXPECTED_REVISION');
    expect(await codeOf(b.append('stock-1', [placed(1)], { expectedRevision: 'stream_exists' }))).toBe('WRONG_EXPECTED_REVISION');
    const id = '0b5f8b8e-6f0e-4e55-9b1e-0f6f3c1d2a10';
    const first = await a.append('order-1', [{ id, ...placed(1) }], { expectedRevision: 2 });
    expect(await a.append('order-1', [{ id, ...placed(1) }], { expectedRevision: 2 })).toEqual(first);
    expect(await codeOf(a.append('order-1', [{ id, ...placed(2) }]))).toBe('EVENT_ID_CONFLICT');
    await b.append('order-1', [{ id, ...placed(1) }], { expectedRevision: 0 });
    expect(summary((await a.readStream('order-1', { from: 3 })).events)).toEqual(['order-1@3:6:Placed']);
    expect(summary((await b.readStream('order-1')).events)).toEqual(['order-1@0:1:Placed', 'order-1@1:2:Placed']);
    const many = await a.appendMany([
      { stream: 'order-1', expectedRevision: 3, events: [placed(3)] },
      { stream: 'stock-1', expectedRevision: 1, events: [placed(4)] },
    ]);
    expect(many.position).toBe(8);
    expect(await codeOf(a.appendMany([{ stream: 'order-1', expectedRevision: 4, events: [placed(5)] }, { stream: 'stock-1', expectedRevision: 0, events: [placed(6)] }]))).toBe(
      'WRONG_EXPECTED_REVISION',
    );
    expect(await a.headPosition()).toBe(8);
    expect(await b.headPosition()).toBe(2);
    expect((await store.branches!.list()).map((info) => [info.name, info.forkPosition, info.events, info.categories])).toEqual([
      ['a', 5, 3, ['order', 'stock']],
      ['b', 1, 1, ['order']],
    ]);
  });

  it('refuses what changes the real log, `$` streams, and bad names; a missing branch writes nothing', async () => {
    const store = await seeded(location('refusals'));
    await store.branches!.create('x');
    const x = store.branch!('x');
    const changes = [() => x.deleteStream('order-1'), () => x.tombstoneStream('order-1'), () => x.setStreamMetadata('order-1', { maxCount: 1 }), () => x.scavenge()];
    for (const call of changes) expect(await codeOf(call())).toBe('BRANCH_UNSUPPORTED');
    expect(await codeOf(x.append('$schemas', [placed(1)]))).toBe('RESERVED_STREAM');
    expect(await codeOf(x.append('order-1', [{ type: '', data: {} }]))).toBe('INVALID_EVENT');
    expect(await codeOf(x.append('-bad', [placed(1)]))).toBe('INVALID_STREAM_NAME');
    expect(await codeOf(store.branches!.create('Bad Name'))).toBe('INVALID_BRANCH_NAME');
    expect(await codeOf(store.branches!.create('main'))).toBe('INVALID_BRANCH_NAME');
    expect(() => store.branch!('x'.repeat(65))).toThrow(expect.objectContaining({ code: 'INVALID_BRANCH_NAME' }));
    expect(await codeOf(store.branches!.create('x'))).toBe('BRANCH_EXISTS');
    const missing = store.branch!('missing');
    const calls = [
      () => missing.append('order-1', [placed(1)]),
      () => missing.readStream('order-1'),
      () => missing.readAll(),
      () => missing.headPosition(),
      () => missing.streamInfo('order-1'),
      () => missing.waitForPosition(0, { timeoutMs: 10 }),
    ];
    for (const call of calls) expect(await codeOf(call())).toBe('BRANCH_NOT_FOUND');
    expect(await codeOf(store.branches!.describe('missing'))).toBe('BRANCH_NOT_FOUND');
    expect(await codeOf(store.branches!.delete('missing'))).toBe('BRANCH_NOT_FOUND');
    expect((await store.branches!.list()).map((info) => info.name)).toEqual(['x']);
    expect(await codeOf(store.branches!.create('y', { at: 6 }))).toBe('INVALID_AS_OF');
    expect(await codeOf(store.branches!.create('y', { at: 'yesterday' }))).toBe('INVALID_AS_OF');
    expect(await codeOf(store.branches!.create('y', { at: -1 }))).toBe('INVALID_AS_OF');
  });

  it('reads real events upcast to their latest schema version, unless raw, and filters by tags', async () => {
    const store = await open(location('upcast'));
    const schemas = store.schemas!;
    await schemas.setCompatibility('CustomerJoined', 'NONE');
    await schemas.register('CustomerJoined', { type: 'object', properties: { name: { type: 'string' } } });
    await store.append('customer-1', [{ type: 'CustomerJoined', data: { name: 'Ada' }, tags: ['region:eu'] }]);
    await schemas.register('CustomerJoined', { type: 'object', properties: { fullName: { type: 'string' } } });
    await schemas.addUpcaster('CustomerJoined', 1, [{ op: 'rename', path: '/name', to: 'fullName' }]);
    await store.branches!.create('upcast');
    const branch = store.branch!('upcast');
    await branch.append('customer-2', [{ type: 'CustomerJoined', data: { fullName: 'Grace' }, tags: ['region:eu'] }, { type: 'Noted', data: {}, tags: ['region:us'] }]);
    expect((await branch.readStream('customer-1')).events.map((e) => e.data)).toEqual([{ fullName: 'Ada' }]);
    expect((await branch.readStream('customer-1', { raw: true })).events.map((e) => e.data)).toEqual([{ name: 'Ada' }]);
    const tagged = await branch.readAll({ tags: ['region:eu'] });
    expect(tagged.events.map((e) => [e.stream, e.data])).toEqual([
      ['customer-1', { fullName: 'Ada' }],
      ['customer-2', { fullName: 'Grace' }],
    ]);
    expect((await branch.readAll({ query: [{ tags: ['region:us'] }] })).events.map((e) => e.type)).toEqual(['Noted']);
    // the registry's door covers the branch: its appends are checked and its events upcast too
    await schemas.setMode('customer', 'enforce');
    expect(await codeOf(branch.append('customer-3', [{ type: 'CustomerJoined', data: { fullName: 7 } }]))).toBe('SCHEMA_VALIDATION_FAILED');
    expect(await codeOf(branch.readStream('customer-3'))).toBe('STREAM_NOT_FOUND');
    await schemas.setMode('customer', 'warn');
    await branch.append('customer-4', [{ type: 'CustomerJoined', data: { fullName: 'Lin' } }]);
    await schemas.register('CustomerJoined', { type: 'object', properties: { fullName: { type: 'string' }, tier: { type: 'string' } } });
    schemas.upcaster('CustomerJoined', 2, (data) => ({ tier: 'standard', ...(data as object) }));
    const [lin] = (await branch.readStream('customer-4')).events;
    expect([lin!.data, lin!.metadata['schemaVersion']]).toEqual([{ fullName: 'Lin', tier: 'standard' }, 3]);
    expect((await branch.readStream('customer-4', { raw: true })).events[0]!.metadata['schemaVersion']).toBe(2);
  });

  it("checks an append condition against the real log up to the fork and the branch's own events", async () => {
    const store = await seeded(location('conditions'));
    await store.branches!.create('c', { at: 4 });
    const branch = store.branch!('c');
    const shipped = { failIfEventsMatch: [{ types: ['Shipped'] }] };
    // order-1's Shipped is at real position 4, inside the fork
    expect(await codeOf(branch.append('order-2', [placed(1)], { condition: { ...shipped, after: 3 } }))).toBe('APPEND_CONDITION_FAILED');
    await branch.append('order-2', [placed(1)], { condition: { ...shipped, after: 4 } });
    await branch.append('order-3', [{ type: 'Shipped', data: {} }]);
    const refused = branch.append('order-2', [placed(2)], { condition: { ...shipped, after: 5 } });
    await expect(refused).rejects.toMatchObject({ code: 'APPEND_CONDITION_FAILED', details: { after: 5, positions: [6] } });
    await branch.append('order-2', [placed(3)], { condition: { ...shipped, after: 6 } });
    // the real log's Released (position 5) is past the fork: the branch never saw it
    await branch.append('order-2', [placed(4)], { condition: { failIfEventsMatch: [{ types: ['Released'] }], after: 0 } });
    expect(await codeOf(branch.append('order-2', [placed(5)], { condition: { ...shipped, categories: ['stock'] } }))).toBeUndefined();
    expect((await branch.readStream('order-2')).events).toHaveLength(4);
    expect(await store.headPosition()).toBe(5);
  });

  it('deletes all of a branch: one created again under its name starts empty', async () => {
    const store = await seeded(location('delete'));
    await store.branches!.create('gone', { at: 0 });
    const gone = store.branch!('gone');
    await gone.append('order-9', [placed(1), placed(2)]);
    await store.branches!.delete('gone');
    expect(await codeOf(gone.readAll())).toBe('BRANCH_NOT_FOUND');
    await store.branches!.create('gone', { at: 0 });
    expect(await gone.readAll()).toEqual({ events: [], next: null });
    expect(await codeOf(gone.readStream('order-9'))).toBe('STREAM_NOT_FOUND');
    expect(await codeOf(gone.readStream('order-1'))).toBe('STREAM_NOT_FOUND');
    expect((await gone.append('order-9', [placed(3)])).events[0]).toMatchObject({ revision: 0, position: 1 });
  });

  it('forks by time, and at the head by default', async () => {
    const store = await open(location('time'));
    await store.append('order-1', [placed(1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.append('order-1', [placed(2)]);
    expect((await store.branches!.create('by-time', { at: between })).forkPosition).toBe(1);
    expect((await store.branches!.create('by-date', { at: new Date(between) })).forkPosition).toBe(1);
    expect((await store.branches!.create('at-head')).forkPosition).toBe(2);
    expect((await store.branches!.create('before-all', { at: '2000-01-01' })).forkPosition).toBe(0);
    expect((await store.branches!.create('by-text', { at: '1' })).forkPosition).toBe(1);
    const branch = store.branch!('by-time');
    expect(await branch.positionAt(between)).toBe(1);
    await branch.append('order-1', [placed(3)], { expectedRevision: 0 });
    expect(await branch.positionAt(new Date(Date.now() + 1000))).toBe(2);
    expect(summary((await branch.readAll({ asOf: 1 })).events)).toEqual(['order-1@0:1:Placed']);
    expect(await codeOf(branch.readAll({ asOf: 3 }))).toBe('INVALID_AS_OF');
  });

  it('wakes a waiter on a branch append, and times out with the head', async () => {
    const store = await seeded(location('wait'));
    await store.branches!.create('w');
    const branch = store.branch!('w');
    expect(await branch.waitForPosition(5, { timeoutMs: 50 })).toBe(5);
    const waiting = branch.waitForPosition(5, { timeoutMs: 10_000 });
    const started = Date.now();
    await store.branch!('w').append('order-1', [placed(1)]);
    expect(await waiting).toBe(6);
    expect(Date.now() - started).toBeLessThan(5_000);
    const aborted = new AbortController();
    const cancelled = branch.waitForPosition(6, { signal: aborted.signal });
    aborted.abort(new Error('stopped'));
    await expect(cancelled).rejects.toThrow('stopped');
  });

  it('keeps revisions contiguous when two processes append to one branch at once', async () => {
    const where = location('concurrent');
    const store = await seeded(where);
    await store.branches!.create('race');
    const children = [1, 2].map((writer) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'branch-appender-child.ts'), JSON.stringify({ location: where, branch: 'race', writer, count: 15 })], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise<number | null>((resolve) => child.on('exit', resolve));
    });
    expect(await Promise.all(children)).toEqual([0, 0]);
    const events = (await store.branch!('race').readStream('order-1', { limit: 100 })).events;
    expect(events.map((e) => e.revision)).toEqual([...Array(33).keys()]);
    expect(events.slice(3).map((e) => e.position)).toEqual([...Array(30).keys()].map((i) => 6 + i));
    expect(new Set(events.slice(3).map((e) => JSON.stringify(e.data))).size).toBe(30);
    expect(await store.headPosition()).toBe(5);
  }, 60_000);
});

async function eventually(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
