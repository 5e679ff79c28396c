import { describe, expect, it, vi } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import type { RecordedEvent } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import type { ConsumerOptions } from '../../src/subscriptions/consumer-options.js';
import { parkedEvents, purgeParked, replayParked } from '../../src/subscriptions/parked.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { event, expectCode, withStore, type StoreHarness } from './harness.js';

/** Resolves once `check` holds, polling briefly; fails with `what` after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function appendSpread(store: EventStore, streams: number, perStream: number, category = 'item'): Promise<void> {
  for (let round = 0; round < perStream; round++) {
    for (let s = 0; s < streams; s++) await store.append(`${category}-${s}`, [event('Counted', { round })]);
  }
}

const QUICK: Partial<ConsumerOptions> = { checkpointMs: 50, heartbeatMs: 50, leaseMs: 1_000, retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 } };

/** This machine's clock, read without `Date.now`: a test may skew that one. */
const machineClock = () => Math.floor(performance.timeOrigin + performance.now());

/** The revisions handled per stream, in the order handled: each must be 0, 1, 2, … once. */
interface Handled {
  member: string;
  stream: string;
  revision: number;
}

/** A member of an eight-partition group that records which member handled which event, yielding between events so others interleave. */
function recordingMember(name: string, member: string, handled: Handled[]): ConsumerOptions {
  return {
    ...QUICK,
    name,
    group: { partitions: 8 },
    member,
    handler: async (e, context) => {
      handled.push({ member: context.member, stream: e.stream, revision: e.revision });
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

function revisionsByStream(handled: readonly { stream: string; revision: number }[]): Map<string, number[]> {
  const streams = new Map<string, number[]>();
  for (const { stream, revision } of handled) streams.set(stream, [...(streams.get(stream) ?? []), revision]);
  return streams;
}

export function consumersContract(harness: StoreHarness): void {
  describe('consumers', () => {
    it('handles every matching event in order, goes live, and resumes after a stop from its stored checkpoint', async () => {
      await withStore(harness, async (store) => {
        await store.append('order-1', [event('Placed'), event('Shipped')]);
        await store.append('stock-1', [event('Reserved')]);
        const seen: RecordedEvent[] = [];
        const options: ConsumerOptions = { ...QUICK, name: 'shipping', filter: { categories: ['order'] }, handler: (e) => void seen.push(e) };
        let consumer = await startConsumer(store, options);
        await eventually(() => seen.length === 2 && consumer.state === 'live', 'history is handled');
        await store.append('order-2', [event('Placed')]);
        await eventually(() => seen.length === 3, 'the live event is handled');
        expect(await consumer.stop()).toEqual({ state: 'stopped' });

        await store.append('order-3', [event('Placed')]);
        consumer = await startConsumer(store, options);
        await eventually(() => seen.length === 4, 'the event appended while stopped is handled');
        await consumer.stop();
        expect(seen.map((e) => e.position)).toEqual([1, 2, 4, 5]);
        const [status] = await consumerStatus(store, ['shipping']);
        expect(status).toMatchObject({ name: 'shipping', checkpoint: 5, head: 5, lagEvents: 0, state: 'stopped', parked: 0 });
      });
    });

    it('starts a new consumer at the end or at a position, and a stored checkpoint wins over start', async () => {
      await withStore(harness, async (store) => {
        await store.append('order-1', [event('A'), event('B'), event('C')]);
        const fromEnd: number[] = [];
        const atEnd = await startConsumer(store, { ...QUICK, name: 'late', start: 'end', handler: (e) => void fromEnd.push(e.position) });
        await eventually(() => atEnd.state === 'live', 'the consumer is live');
        await store.append('order-1', [event('D')]);
        await eventually(() => fromEnd.length === 1, 'the new event arrives');
        await atEnd.stop();
        expect(fromEnd).toEqual([4]);

        const fromTwo: number[] = [];
        const atTwo = await startConsumer(store, { ...QUICK, name: 'middle', start: 2, handler: (e) => void fromTwo.push(e.position) });
        await eventually(() => fromTwo.length === 2, 'events after 2 arrive');
        await atTwo.stop();
        expect(fromTwo).toEqual([3, 4]);
        const again: number[] = [];
        const restarted = await startConsumer(store, { ...QUICK, name: 'middle', start: 0, handler: (e) => void again.push(e.position) });
        await eventually(() => restarted.state === 'live', 'the consumer is live again');
        await restarted.stop();
        expect(again).toEqual([]);
      });
    });

    it('saves its checkpoint at most checkpointEvents behind while it works', async () => {
      await withStore(harness, async (store) => {
        await appendSpread(store, 1, 60);
        let handled = 0;
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const consumer = await startConsumer(store, {
          ...QUICK,
          name: 'slow',
          checkpointEvents: 10,
          checkpointMs: 60_000,
          handler: async () => {
            if (++handled === 35) await held;
          },
        });
        await eventually(() => handled === 35, 'the consumer reaches the 35th event');
        await eventually(async () => (await store.consumers.get('slow'))?.partitions[0]?.checkpoint === 30, 'the checkpoint reaches 30');
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await store.consumers.get('slow'))?.partitions[0]?.checkpoint).toBe(30);
        release();
        await consumer.stop();
      });
    });

    it('retries a failing handler, parks the event with its error, goes on, and replays or purges parked events', async () => {
      await withStore(harness, async (store) => {
        await store.append('payment-1', [event('Taken'), event('Poison'), event('Taken')]);
        await store.append('payment-2', [event('Poison'), event('Taken')]);
        const attempts = new Map<number, number>();
        let healed = false;
        const handled: number[] = [];
        const consumer = await startConsumer(store, {
          ...QUICK,
          name: 'ledger',
          handler: (e) => {
            attempts.set(e.position, (attempts.get(e.position) ?? 0) + 1);
            if (e.type === 'Poison' && !healed) throw new Error(`cannot book ${e.position}`);
            handled.push(e.position);
          },
        });
        await eventually(() => handled.length === 3 && consumer.state === 'live', 'the good events are handled');
        expect(handled).toEqual([1, 3, 5]);
        expect(attempts.get(2)).toBe(3);
        const parked = await parkedEvents(store, 'ledger');
        expect(parked.map((p) => [p.position, p.stream, p.type, p.attempts, p.replay])).toEqual([
          [2, 'payment-1', 'Poison', 3, false],
          [4, 'payment-2', 'Poison', 3, false],
        ]);
        expect(parked[0]!.error).toContain('cannot book 2');
        expect((await consumerStatus(store, ['ledger']))[0]?.parked).toBe(2);
        expect(await parkedEvents(store, 'ledger', { after: 2 })).toHaveLength(1);

        // replayed while still failing: parked again, attempts counted on
        expect(await replayParked(store, 'ledger', [2])).toBe(1);
        await eventually(async () => (await parkedEvents(store, 'ledger'))[0]?.attempts === 6, 'the replay fails again');
        expect((await parkedEvents(store, 'ledger')).map((p) => p.replay)).toEqual([false, false]);

        healed = true;
        expect(await replayParked(store, 'ledger', [4])).toBe(1);
        await eventually(() => handled.includes(4), 'the chosen event is replayed');
        await eventually(async () => (await parkedEvents(store, 'ledger')).length === 1, 'the replayed event leaves the parked list');
        expect((await consumerStatus(store, ['ledger']))[0]?.parked).toBe(1);
        expect(await purgeParked(store, 'ledger')).toBe(1);
        expect(await parkedEvents(store, 'ledger')).toEqual([]);
        expect((await consumerStatus(store, ['ledger']))[0]?.parked).toBe(0);
        await consumer.stop();
        await expectCode(parkedEvents(store, 'nobody'), 'CONSUMER_NOT_FOUND');
      });
    });

    it("stops as faulted with HANDLER_FAILED under onFailure: 'stop', its checkpoint before the failing event", async () => {
      await withStore(harness, async (store) => {
        await store.append('mail-1', [event('Send'), event('Bounce'), event('Send')]);
        const consumer = await startConsumer(store, {
          ...QUICK,
          name: 'mailer',
          onFailure: 'stop',
          handler: (e) => {
            if (e.type === 'Bounce') throw new Error('smtp refused');
          },
        });
        const outcome = await consumer.done;
        expect(outcome.state).toBe('faulted');
        expect(isTributaryError(outcome.error, 'HANDLER_FAILED')).toBe(true);
        const [status] = await consumerStatus(store, ['mailer']);
        expect(status).toMatchObject({ state: 'faulted', checkpoint: 1, parked: 0 });
        expect(status!.fault).toContain('smtp refused');
        expect(status!.lagSeconds).toBeGreaterThanOrEqual(0);

        const handled: number[] = [];
        const healed = await startConsumer(store, { ...QUICK, name: 'mailer', handler: (e) => void handled.push(e.position) });
        await eventually(() => healed.state === 'live', 'the restarted consumer is live');
        await healed.stop();
        expect(handled).toEqual([2, 3]);
        expect((await consumerStatus(store, ['mailer']))[0]).toMatchObject({ state: 'stopped', fault: null, checkpoint: 3 });
      });
    });

    it('reports lag, state and members while it runs', async () => {
      await withStore(harness, async (store) => {
        await appendSpread(store, 3, 10);
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        // saves by count only: a timed save could land between 10 and 12 on a slow machine
        const consumer = await startConsumer(store, {
          ...QUICK,
          name: 'lagging',
          checkpointEvents: 5,
          checkpointMs: 60_000,
          handler: (e) => (e.position === 12 ? held : undefined),
        });
        await eventually(async () => (await store.consumers.get('lagging'))?.partitions[0]?.checkpoint === 10, 'the checkpoint reaches 10');
        const [status] = await consumerStatus(store, ['lagging']);
        expect(status).toMatchObject({ checkpoint: 10, head: 30, lagEvents: 20, state: 'catching-up', partitions: 1 });
        expect(status!.members).toEqual([{ member: consumer.member, state: 'catching-up', position: expect.any(Number) as unknown, partitions: [0] }]);
        release();
        await eventually(async () => (await consumerStatus(store, ['lagging']))[0]?.state === 'live', 'the consumer reports live');
        await eventually(async () => (await consumerStatus(store, ['lagging']))[0]?.lagEvents === 0, 'the lag drops to 0');
        expect((await consumerStatus(store, ['lagging']))[0]?.lagSeconds).toBe(0);
        await consumer.stop();
        expect((await consumerStatus(store, ['lagging']))[0]?.members).toEqual([]);
      });
    });

    it('shares streams among group members: every event once, each stream in order, through joins and leaves', async () => {
      await withStore(harness, async (store) => {
        await appendSpread(store, 24, 10);
        const handled: Handled[] = [];
        const options = (member: string) => recordingMember('group', member, handled);
        const a = await startConsumer(store, options('a'));
        const b = await startConsumer(store, options('b'));
        await eventually(() => handled.length >= 80, 'the group makes progress');
        const c = await startConsumer(store, options('c'));
        await eventually(() => c.partitions.length > 0, 'the third member gets partitions');
        await a.stop();
        await appendSpread(store, 24, 5);
        await eventually(() => handled.length >= 24 * 15, 'every event is handled');
        await eventually(() => b.partitions.length + c.partitions.length === 8, 'the leaver’s partitions are taken');
        const status = (await consumerStatus(store, ['group']))[0]!;
        expect(status.partitions).toBe(8);
        expect(status.members.map((m) => m.member)).toEqual(['b', 'c']);
        await b.stop();
        await c.stop();
        expect(handled).toHaveLength(24 * 15);
        for (let s = 0; s < 24; s++) {
          const revisions = handled.filter((h) => h.stream === `item-${s}`).map((h) => h.revision);
          expect(revisions).toEqual(Array.from({ length: 15 }, (_, i) => i));
        }
        expect(new Set(handled.map((h) => h.member))).toEqual(new Set(['a', 'b', 'c']));
      });
    });

    it('moves only the partitions a joining member takes: the others keep theirs, and each stream stays in order', async () => {
      await withStore(harness, async (store) => {
        await appendSpread(store, 24, 5);
        const handled: Handled[] = [];
        const options = (member: string) => recordingMember('sticky', member, handled);
        const a = await startConsumer(store, options('a'));
        const b = await startConsumer(store, options('b'));
        await eventually(() => a.partitions.length === 4 && b.partitions.length === 4, 'a and b hold four partitions each');
        const before = { a: [...a.partitions], b: [...b.partitions] };
        const c = await startConsumer(store, options('c'));
        await eventually(() => c.partitions.length === 2 && a.partitions.length === 3 && b.partitions.length === 3, 'c has its share');
        expect(before.a).toEqual(expect.arrayContaining([...a.partitions]));
        expect(before.b).toEqual(expect.arrayContaining([...b.partitions]));
        // a settled group stays put: the next heartbeats move nothing
        await new Promise((resolve) => setTimeout(resolve, 300));
        const after = { a: [...a.partitions], b: [...b.partitions], c: [...c.partitions] };
        expect(after.a.length + after.b.length + after.c.length).toBe(8);
        expect(after.c).toEqual([...before.a, ...before.b].filter((p) => !after.a.includes(p) && !after.b.includes(p)).sort((x, y) => x - y));
        await appendSpread(store, 24, 5);
        await eventually(() => handled.length >= 24 * 10, 'every event is handled');
        for (const consumer of [a, b, c]) await consumer.stop();
        expect(handled).toHaveLength(24 * 10);
        for (const revisions of revisionsByStream(handled).values()) expect(revisions).toEqual(Array.from({ length: 10 }, (_, i) => i));
      });
    });

    it('gives a joining member its free partitions before startConsumer resolves, and the rest as soon as their holder lets go', async () => {
      await withStore(harness, async (store) => {
        await appendSpread(store, 8, 3);
        // the heartbeat left to its default: a quarter of the lease would be 5 s; in a group it is no more than checkpointMs
        const options = (member: string): ConsumerOptions => ({ name: 'prompt', group: { partitions: 4 }, member, checkpointMs: 100, leaseMs: 20_000, handler: () => undefined });
        const a = await startConsumer(store, options('a'));
        expect(a.partitions).toEqual([0, 1, 2, 3]);
        await eventually(() => a.state === 'live', 'a is live');
        const joined = performance.now();
        const b = await startConsumer(store, options('b'));
        await eventually(() => b.partitions.length === 2, 'b takes its share', 3_000);
        expect(performance.now() - joined).toBeLessThan(3_000);
        expect(a.partitions).toEqual([0, 1]);
        expect(b.partitions).toEqual([2, 3]);
        await b.stop();
        await eventually(() => a.partitions.length === 4, 'a takes back what b let go', 3_000);
        await a.stop();
      });
    });

    it('tells the holders of a join at once where the store signals group changes: the joiner gets its share long before their next heartbeat', async () => {
      await withStore(harness, async (store) => {
        await appendSpread(store, 16, 3);
        const handled: Handled[] = [];
        // with the signal (watchGroup) the heartbeat is left long, to show it plays no part; without it (remote) the heartbeat sets the pace
        const signalled = store.consumers.watchGroup !== undefined;
        const heartbeatMs = signalled ? 5_000 : 500;
        const options = (member: string): ConsumerOptions => ({ ...recordingMember('signalled', member, handled), heartbeatMs, checkpointMs: heartbeatMs, leaseMs: 20_000 });
        const a = await startConsumer(store, options('a'));
        const b = await startConsumer(store, options('b'));
        await eventually(() => a.partitions.length === 4 && b.partitions.length === 4, 'a and b hold four partitions each', 3 * heartbeatMs);
        await appendSpread(store, 16, 2);
        const joined = performance.now();
        const c = await startConsumer(store, options('c'));
        await eventually(() => c.partitions.length === 2 && a.partitions.length === 3 && b.partitions.length === 3, 'c has its share', 3 * heartbeatMs);
        expect(performance.now() - joined).toBeLessThan(signalled ? 1_000 : heartbeatMs + 1_500);
        await eventually(() => handled.length >= 16 * 5, 'every event is handled');
        for (const consumer of [a, b, c]) await consumer.stop();
        expect(handled).toHaveLength(16 * 5);
        for (const revisions of revisionsByStream(handled).values()) expect(revisions).toEqual(Array.from({ length: 5 }, (_, i) => i));
      });
    });

    it('signals a group’s changes to watchers on another handle: a join, a release and a leave, not a renewal', async () => {
      await withStore(harness, async (store) => {
        const other = await harness.openAnother(store);
        try {
          const watchGroup = store.consumers.watchGroup;
          // a store that cannot signal (remote) leaves its members to their heartbeats
          if (watchGroup === undefined) return expect(harness.name).toMatch(/^remote/);
          await store.consumers.register({ name: 'watched', partitions: 2, startAt: 0, filter: {} });
          let signals = 0;
          const unwatch = watchGroup('watched', () => void signals++);
          const beat = (member: string) => other.consumers.heartbeat('watched', { member, state: 'live', position: 0, leaseMs: 60_000 });
          // the first signal may come only once the watcher listens (PostgreSQL's LISTEN connects): join until it does
          await eventually(async () => (await beat(`early-${signals}-${Date.now()}`)) !== undefined && signals > 0, 'a join is signalled');
          // signals may come twice (SQLite raises at once and again through its file): let the last ones arrive before counting
          const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
          await settle();
          const counted = signals;
          await beat('m1');
          await eventually(() => signals > counted, 'the join of m1 is signalled', 2_000);
          await settle();
          const afterJoin = signals;
          await beat('m1');
          await other.consumers.claim('watched', 'm1', [0, 1]);
          await settle();
          expect(signals).toBe(afterJoin);
          await other.consumers.release('watched', 'm1', [1]);
          await eventually(() => signals > afterJoin, 'the release is signalled', 2_000);
          await settle();
          const afterRelease = signals;
          await other.consumers.leave('watched', 'm1');
          await eventually(() => signals > afterRelease, 'the leave is signalled', 2_000);
          unwatch();
          await settle();
          const afterUnwatch = signals;
          await beat('m2');
          await settle();
          expect(signals).toBe(afterUnwatch);
        } finally {
          await other.close();
        }
      });
    });

    it('answers a heartbeat with the live members, who holds each partition, and the store’s clock', async () => {
      await withStore(harness, async (store) => {
        await store.consumers.register({ name: 'view', partitions: 3, startAt: 0, filter: {} });
        const first = await store.consumers.heartbeat('view', { member: 'm1', state: 'live', position: 0, leaseMs: 60_000 });
        expect(first.members.map((m) => m.member)).toEqual(['m1']);
        expect(first.owners).toEqual([null, null, null]);
        const stamped = first.members[0]!.leaseUntil - 60_000;
        expect(first.now).toBeGreaterThanOrEqual(stamped);
        expect(first.now - stamped).toBeLessThan(5_000);
        expect(await store.consumers.claim('view', 'm1', [0, 2])).toEqual([0, 2]);
        await store.consumers.heartbeat('view', { member: 'short', state: 'live', position: 0, leaseMs: 1 });
        expect(await store.consumers.claim('view', 'short', [1])).toEqual([1]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        // the member whose lease ran out is gone from the same answer, and its partition free
        const second = await store.consumers.heartbeat('view', { member: 'm2', state: 'catching-up', position: 0, leaseMs: 60_000 });
        expect(second.members.map((m) => [m.member, m.state])).toEqual([
          ['m1', 'live'],
          ['m2', 'catching-up'],
        ]);
        expect(second.owners).toEqual(['m1', null, 'm1']);
        expect(second.now).toBeGreaterThanOrEqual(first.now);
        expect((await store.consumers.get('view'))!.now).toBeGreaterThanOrEqual(second.now);
        expect((await store.consumers.list()).map((record) => record.now >= second.now)).toEqual([true]);
      });
    });

    it('judges leases by the store’s clock: a process whose clock runs a minute ahead still sees the live members', async () => {
      await withStore(
        harness,
        async (store) => {
          const consumer = await startConsumer(store, { ...QUICK, name: 'skewed', group: { partitions: 2 }, leaseMs: 10_000, handler: () => undefined });
          await eventually(async () => (await consumerStatus(store, ['skewed']))[0]?.members[0]?.partitions.length === 2, 'the member holds both partitions');
          await eventually(async () => (await consumerStatus(store, ['skewed']))[0]?.state === 'live', 'the member reports live');
          const skewed = vi.spyOn(Date, 'now').mockImplementation(() => machineClock() + 60_000);
          try {
            const [status] = await consumerStatus(store, ['skewed']);
            expect(status!.members.map((member) => [member.member, member.partitions])).toEqual([[consumer.member, [0, 1]]]);
            expect(status!.state).toBe('live');
          } finally {
            skewed.mockRestore();
          }
          await consumer.stop();
        },
        { clock: machineClock },
      );
    });

    it('refuses to reopen a group with another partition count', async () => {
      await withStore(harness, async (store) => {
        const consumer = await startConsumer(store, { ...QUICK, name: 'fixed', group: { partitions: 4 }, handler: () => undefined });
        await consumer.stop();
        await expectCode(startConsumer(store, { ...QUICK, name: 'fixed', group: { partitions: 5 }, handler: () => undefined }), 'CONSUMER_CONFLICT');
        await expectCode(startConsumer(store, { ...QUICK, name: 'fixed', handler: () => undefined }), 'CONSUMER_CONFLICT');
        expect(await store.consumers.remove('fixed')).toBe(true);
        const lone = await startConsumer(store, { ...QUICK, name: 'fixed', handler: () => undefined });
        await lone.stop();
        await expectCode(startConsumer(store, { name: 'bad name', handler: () => undefined }), 'INVALID_ARGUMENT');
      });
    });

    windowContract(harness);
    transactionContract(harness);
  });
}

/** A promise that rejects when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
}

function windowContract(harness: StoreHarness): void {
  it('with a window, handles several events at once but never two of one stream; the checkpoint stays below the first not handled, and a restart hands it over again', async () => {
    await withStore(harness, async (store) => {
      // ten streams, five rounds: stream item-s holds positions s+1, s+11, …
      await appendSpread(store, 10, 5);
      const handled: { stream: string; revision: number; position: number }[] = [];
      const active = new Set<string>();
      let most = 0;
      let overlaps = 0;
      let holding = true;
      const options: ConsumerOptions = {
        ...QUICK,
        name: 'windowed',
        window: 4,
        checkpointEvents: 1,
        checkpointMs: 20,
        handler: async (e, context) => {
          if (active.has(e.stream)) overlaps++;
          active.add(e.stream);
          most = Math.max(most, active.size);
          try {
            if (e.position === 3 && holding) await aborted(context.signal);
            await new Promise((resolve) => setTimeout(resolve, e.position % 3));
            handled.push({ stream: e.stream, revision: e.revision, position: e.position });
          } finally {
            active.delete(e.stream);
          }
        },
      };
      const first = await startConsumer(store, options);
      await eventually(() => handled.length === 45, 'every stream but the held one is handled');
      await eventually(async () => (await store.consumers.get('windowed'))?.partitions[0]?.checkpoint === 2, 'the checkpoint reaches the held event');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await store.consumers.get('windowed'))?.partitions[0]?.checkpoint).toBe(2);
      expect(handled.filter((h) => h.stream === 'item-2')).toEqual([]);
      await first.stop();
      expect((await store.consumers.get('windowed'))?.partitions[0]?.checkpoint).toBe(2);

      holding = false;
      handled.length = 0;
      const second = await startConsumer(store, options);
      await eventually(() => handled.length === 48 && second.state === 'live', 'the restart handles everything from the held event on');
      await second.stop();
      expect((await store.consumers.get('windowed'))?.partitions[0]?.checkpoint).toBe(50);
      expect(overlaps).toBe(0);
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(4);
      for (const [stream, revisions] of revisionsByStream(handled)) {
        expect(revisions, stream).toEqual(stream === 'item-0' || stream === 'item-1' ? [1, 2, 3, 4] : [0, 1, 2, 3, 4]);
      }
    });
  });

  it('with a window, retries and parks a failing event while other streams go on, and its stream’s next event waits for the parking', async () => {
    await withStore(harness, async (store) => {
      await store.append('payment-1', [event('Poison'), event('Taken')]);
      await appendSpread(store, 6, 3, 'other');
      const log: string[] = [];
      const consumer = await startConsumer(store, {
        ...QUICK,
        name: 'windowed-ledger',
        window: 8,
        retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 40 },
        handler: (e) => {
          if (e.type === 'Poison') {
            log.push(`failed ${e.position}`);
            throw new Error('cannot book');
          }
          log.push(`handled ${e.position}`);
        },
      });
      await eventually(() => log.includes('handled 2') && consumer.state === 'live', 'the poisoned stream goes on');
      await eventually(async () => (await store.consumers.get('windowed-ledger'))?.partitions[0]?.checkpoint === 20, 'the checkpoint reaches the head');
      await consumer.stop();
      const failures = log.flatMap((entry, index) => (entry === 'failed 1' ? [index] : []));
      expect(failures).toHaveLength(3);
      // the other streams were handled while the poison waited for its retries
      expect(log.slice(0, failures[1]).filter((entry) => entry.startsWith('handled'))).toHaveLength(18);
      expect(log.indexOf('handled 2')).toBeGreaterThan(failures[2]!);
      expect((await parkedEvents(store, 'windowed-ledger')).map((p) => [p.position, p.attempts])).toEqual([[1, 3]]);
    });
  });

  it('refuses a window out of 1 to 1000, and a window beside a transaction handler', async () => {
    await withStore(harness, async (store) => {
      await expectCode(startConsumer(store, { name: 'w', window: 0, handler: () => undefined }), 'INVALID_ARGUMENT');
      await expectCode(startConsumer(store, { name: 'w', window: 1001, handler: () => undefined }), 'INVALID_ARGUMENT');
      await expectCode(startConsumer(store, { name: 'w', window: 2.5, handler: () => undefined }), 'INVALID_ARGUMENT');
      await expectCode(startConsumer(store, { name: 'w', window: 2, transaction: async () => undefined }), 'INVALID_ARGUMENT');
    });
  });
}

function transactionContract(harness: StoreHarness): void {
  it('commits a transaction handler’s writes with the checkpoint: each effect exactly once, even when a batch fails', async () => {
    await withStore(harness, async (store) => {
      const transact = store.consumers.transact;
      if (transact === undefined) {
        // a backend without transactions must refuse the handler clearly
        await expectCode(startConsumer(store, { name: 'tx', transaction: async () => undefined }), 'INVALID_ARGUMENT');
        return;
      }
      await transact(
        async (tx) => void (await tx.execute('CREATE TABLE totals (stream text PRIMARY KEY, amount integer NOT NULL, events integer NOT NULL)')),
        { consumer: 'none', checkpoints: [] },
      );
      for (let i = 0; i < 40; i++) await store.append(`till-${i % 4}`, [event('Sold', { amount: i })]);
      let failures = 0;
      const options: ConsumerOptions = {
        ...QUICK,
        name: 'totals',
        pageSize: 16,
        transaction: async (events, tx) => {
          for (const e of events) {
            await tx.execute(
              tx.dialect.placeholders(`INSERT INTO totals (stream, amount, events) VALUES (?, ?, 1)
               ON CONFLICT (stream) DO UPDATE SET amount = totals.amount + excluded.amount, events = totals.events + 1`),
              [e.stream, (e.data as { amount: number }).amount],
            );
            // fails after writing, the first time it meets position 20: the rollback must undo the batch's writes
            if (e.position === 20 && failures === 0) {
              failures++;
              throw new Error('disk full');
            }
          }
        },
      };
      let consumer = await startConsumer(store, options);
      await eventually(async () => (await store.consumers.get('totals'))?.partitions[0]?.checkpoint === 40, 'the consumer reaches 40');
      await consumer.stop();
      for (let i = 40; i < 60; i++) await store.append(`till-${i % 4}`, [event('Sold', { amount: i })]);
      consumer = await startConsumer(store, options);
      await eventually(async () => (await store.consumers.get('totals'))?.partitions[0]?.checkpoint === 60, 'the consumer reaches 60');
      await consumer.stop();
      const rows = await transact(async (tx) => tx.query<{ stream: string; amount: number; events: number }>('SELECT stream, amount, events FROM totals ORDER BY stream'), {
        consumer: 'none',
        checkpoints: [],
      });
      expect(rows.map((row) => ({ ...row, amount: Number(row.amount), events: Number(row.events) }))).toEqual(
        [0, 1, 2, 3].map((s) => ({
          stream: `till-${s}`,
          amount: Array.from({ length: 15 }, (_, k) => s + 4 * k).reduce((x, y) => x + y, 0),
          events: 15,
        })),
      );
      expect(failures).toBe(1);
      expect(await parkedEvents(store, 'totals')).toEqual([]);
    });
  });

  it('rolls back a transaction handler’s writes when its group member lost the partition', async () => {
    await withStore(harness, async (store) => {
      const transact = store.consumers.transact;
      if (transact === undefined) return expect(transact).toBeUndefined();
      await store.consumers.register({ name: 'fenced', partitions: 2, startAt: 0, filter: {} });
      await store.consumers.heartbeat('fenced', { member: 'm1', state: 'live', position: 0, leaseMs: 60_000 });
      expect(await store.consumers.claim('fenced', 'm1', [0, 1])).toEqual([0, 1]);
      await store.consumers.heartbeat('fenced', { member: 'm2', state: 'live', position: 0, leaseMs: 60_000 });
      expect(await store.consumers.claim('fenced', 'm2', [1])).toEqual([]);
      await store.consumers.release('fenced', 'm1', [1]);
      expect(await store.consumers.claim('fenced', 'm2', [1])).toEqual([1]);
      await transact(async (tx) => void (await tx.execute('CREATE TABLE marks (n integer)')), { consumer: 'fenced', checkpoints: [] });
      const lost = await expectCode(
        transact(async (tx) => void (await tx.execute('INSERT INTO marks (n) VALUES (1)')), {
          consumer: 'fenced',
          checkpoints: [
            { partition: 0, position: 9 },
            { partition: 1, position: 9 },
          ],
          owner: 'm1',
        }),
        'CHECKPOINT_LOST',
      );
      expect(lost.details).toMatchObject({ partitions: [1] });
      const marks = await transact(async (tx) => tx.query('SELECT n FROM marks'), { consumer: 'fenced', checkpoints: [] });
      expect(marks).toEqual([]);
      const record = await store.consumers.get('fenced');
      expect(record?.partitions.map((p) => [p.partition, p.checkpoint, p.owner])).toEqual([
        [0, 0, 'm1'],
        [1, 0, 'm2'],
      ]);
      expect(await store.consumers.saveCheckpoints('fenced', [{ partition: 1, position: 5 }], 'm1')).toEqual([1]);
      expect(await store.consumers.saveCheckpoints('fenced', [{ partition: 1, position: 5 }], 'm2')).toEqual([]);
      expect(await store.consumers.saveCheckpoints('fenced', [{ partition: 1, position: 3 }], 'm2')).toEqual([]);
      expect((await store.consumers.get('fenced'))?.partitions[1]?.checkpoint).toBe(5);
    });
  });

  it('refuses to reopen a consumer with another filter, and keeps the stored one', async () => {
    await withStore(harness, async (store) => {
      const filter = { categories: ['payment', 'order'] };
      await store.consumers.register({ name: 'billing', partitions: 4, startAt: 0, filter });
      // the same events in another order, or with empty parts, are the same filter
      await store.consumers.register({ name: 'billing', partitions: 4, startAt: 0, filter: { categories: ['order', 'payment'], types: [] } });
      const conflict = await expectCode(store.consumers.register({ name: 'billing', partitions: 4, startAt: 0, filter: { categories: ['order'] } }), 'CONSUMER_CONFLICT');
      expect(conflict.details).toMatchObject({ consumer: 'billing', requested: { categories: ['order'] } });
      await expectCode(store.consumers.register({ name: 'billing', partitions: 4, startAt: 0, filter: {} }), 'CONSUMER_CONFLICT');
      expect((await store.consumers.get('billing'))?.filter).toEqual(filter);
      const started = startConsumer(store, { ...QUICK, name: 'billing', group: { partitions: 4 }, filter: { categories: ['order'] }, handler: () => undefined });
      await expectCode(started, 'CONSUMER_CONFLICT');
      expect((await store.consumers.get('billing'))?.filter).toEqual(filter);
    });
  });
}
