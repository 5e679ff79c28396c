import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/core/errors.js';
import { Checkpoints } from '../../src/subscriptions/checkpoints.js';
import { Membership } from '../../src/subscriptions/membership.js';
import { PartitionProgress } from '../../src/subscriptions/partition-progress.js';
import { WakeUps } from '../../src/subscriptions/wake-ups.js';
import { FakeConsumerStore } from '../support/fake-consumer-store.js';

const LEASE_MS = 10_000;
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const member of running.splice(0)) await member.stop();
});

/** A member of group `g` on `store`, its monotonic clock in `clock.now`. */
function memberOf(store: FakeConsumerStore, name: string, options: { grouped?: boolean; heartbeatMs?: number } = {}) {
  const grouped = options.grouped ?? true;
  const progress = new PartitionProgress();
  const wakeUps = new WakeUps();
  const stopping = new AbortController();
  const clock = { now: 0 };
  const seen = { errors: [] as unknown[], closed: [] as TributaryError[], took: 0, wakes: 0 };
  const wake = wakeUps.wake.bind(wakeUps);
  wakeUps.wake = () => {
    seen.wakes++;
    wake();
  };
  const onError = (error: unknown) => seen.errors.push(error);
  const checkpoints = new Checkpoints(store, progress, { name: 'g', owner: grouped ? name : undefined, checkpointEvents: 1_000, checkpointMs: 1_000, durableThrough: undefined, onError });
  const membership = new Membership(
    { store, progress, checkpoints, wakeUps, stopping: stopping.signal },
    { name: 'g', member: name, grouped, leaseMs: LEASE_MS, heartbeatMs: options.heartbeatMs ?? 60_000, onError },
    {
      report: () => ({ state: 'live', position: progress.cursor }),
      afterBeat: async () => false,
      tookPartitions: () => void seen.took++,
      storeClosed: (error) => void seen.closed.push(error),
    },
    () => clock.now,
  );
  const member = {
    membership,
    progress,
    clock,
    seen,
    get partitions() {
      return [...progress.owned].sort((a, b) => a - b);
    },
    async stop() {
      stopping.abort();
      await membership.stop();
    },
  };
  running.push(member);
  return member;
}

async function groupStore(partitions: number): Promise<FakeConsumerStore> {
  const store = new FakeConsumerStore();
  await store.register({ name: 'g', partitions, startAt: 0, filter: {} });
  return store;
}

const checkpointsOf = async (store: FakeConsumerStore) => (await store.get('g'))!.partitions.map((p) => [p.partition, p.checkpoint, p.owner]);

describe('membership', () => {
  it('takes the free partitions of its share before join returns', async () => {
    const store = await groupStore(4);
    const a = memberOf(store, 'a');
    await a.membership.join();
    expect(a.partitions).toEqual([0, 1, 2, 3]);
    expect(store.calls.slice(-3)).toEqual(['heartbeat g a', 'claim g a 0,1,2,3', 'get g']);
    expect(a.seen.took).toBe(1);
    expect(a.membership.mayHandle()).toBe(true);
  });

  it('hands a joiner its share: the holder saves and lets go at its next beat, the joiner takes them from those checkpoints', async () => {
    const store = await groupStore(4);
    const a = memberOf(store, 'a');
    await a.membership.join();
    a.progress.advance(7);
    const b = memberOf(store, 'b');
    await b.membership.join();
    // all held by a live member: nothing to do yet, and no claim made
    expect(b.partitions).toEqual([]);
    expect(b.membership.reassigning).toBe(false);
    expect(store.calls.at(-1)).toBe('heartbeat g b');

    await a.membership.beatSoon();
    expect(a.membership.reassigning).toBe(true);
    await a.membership.moveToShare();
    expect(a.partitions).toEqual([0, 1]);
    expect(await checkpointsOf(store)).toEqual([
      [0, 0, 'a'],
      [1, 0, 'a'],
      [2, 7, null],
      [3, 7, null],
    ]);

    await b.membership.beatSoon();
    expect(b.membership.reassigning).toBe(true);
    await b.membership.moveToShare();
    expect(b.partitions).toEqual([2, 3]);
    expect(b.progress.progressOf(2)).toBe(7);
    expect(b.seen.took).toBe(1);
  });

  it('moves only what a third member takes: the others keep theirs', async () => {
    const store = await groupStore(6);
    const a = memberOf(store, 'a');
    const b = memberOf(store, 'b');
    await a.membership.join();
    await b.membership.join();
    await a.membership.beatSoon();
    await a.membership.moveToShare();
    await b.membership.beatSoon();
    await b.membership.moveToShare();
    expect([a.partitions, b.partitions]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const c = memberOf(store, 'c');
    await c.membership.join();
    for (const member of [a, b, c]) {
      await member.membership.beatSoon();
      await member.membership.moveToShare();
    }
    await c.membership.beatSoon();
    await c.membership.moveToShare();
    expect([a.partitions, b.partitions, c.partitions]).toEqual([
      [0, 1],
      [3, 4],
      [2, 5],
    ]);
  });

  it('stops handling when its lease has run out by its own clock, and a beat renews it', async () => {
    const store = await groupStore(2);
    const a = memberOf(store, 'a');
    await a.membership.join();
    a.clock.now = LEASE_MS - 1;
    expect(a.membership.mayHandle()).toBe(true);
    a.clock.now = LEASE_MS;
    expect(a.membership.mayHandle()).toBe(false);
    await a.membership.beatSoon();
    expect(a.membership.mayHandle()).toBe(true);
  });

  it('drops partitions taken over while its lease had lapsed, moving none of their checkpoints', async () => {
    const store = await groupStore(4);
    const a = memberOf(store, 'a');
    await a.membership.join();
    a.progress.advance(9);
    store.now += LEASE_MS + 1;
    const b = memberOf(store, 'b');
    await b.membership.join();
    expect(b.partitions).toEqual([0, 1, 2, 3]);
    await a.membership.beatSoon();
    await a.membership.moveToShare();
    expect(a.partitions).toEqual([]);
    expect((await checkpointsOf(store)).map(([, checkpoint]) => checkpoint)).toEqual([0, 0, 0, 0]);
  });

  it('claims again, with its progress, partitions released while its lease had lapsed that nobody took', async () => {
    const store = await groupStore(2);
    const a = memberOf(store, 'a');
    await a.membership.join();
    a.progress.advance(5);
    store.now += LEASE_MS + 1;
    // another member's beat forgets a and frees its partitions; that member is gone too by a's next beat
    await store.heartbeat('g', { member: 'x', state: 'live', position: 0, leaseMs: 1 });
    store.now += 2;
    await a.membership.beatSoon();
    expect(a.membership.reassigning).toBe(true);
    await a.membership.moveToShare();
    expect(a.partitions).toEqual([0, 1]);
    expect(a.progress.progressOf(0)).toBe(5);
    expect((await store.get('g'))!.partitions.map((p) => p.owner)).toEqual(['a', 'a']);
    expect(a.seen.took).toBe(1);
  });

  it('beats as a lone consumer without claiming, and wakes the loop when it has nothing to handle', async () => {
    const store = await groupStore(1);
    const lone = memberOf(store, 'lone', { grouped: false });
    await lone.membership.join();
    expect(store.calls.slice(1)).toEqual(['heartbeat g lone']);
    expect(lone.membership.mayHandle()).toBe(false);
    expect(lone.seen.wakes).toBe(1);
    lone.progress.take(0, 0);
    lone.clock.now = 10 * LEASE_MS;
    expect(lone.membership.mayHandle()).toBe(true);
  });

  it('ends the consumer when the store was closed beneath it, and reports other failures', async () => {
    const store = await groupStore(1);
    const a = memberOf(store, 'a');
    store.failNext('heartbeat', new TributaryError('STORE_CLOSED', 'closed'));
    await a.membership.join();
    expect(a.seen.closed.map((error) => error.code)).toEqual(['STORE_CLOSED']);
    store.failNext('heartbeat', new Error('network'));
    await a.membership.beatSoon();
    expect(a.seen.errors).toEqual([new Error('network')]);
  });

  it('looks again at a tenth of its heartbeat while part of its share is held by another member', async () => {
    const store = await groupStore(2);
    const a = memberOf(store, 'a');
    await a.membership.join();
    const b = memberOf(store, 'b', { heartbeatMs: 2_000 });
    await b.membership.join();
    const beats = () => store.calls.filter((call) => call === 'heartbeat g b').length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // at the heartbeat's own pace there would have been no second beat yet
    expect(beats()).toBeGreaterThanOrEqual(3);
  });

  it('beats at once when the store signals a change to its group, once per burst and never beside another beat', async () => {
    const store = new FakeConsumerStore({ groupSignals: true });
    await store.register({ name: 'g', partitions: 4, startAt: 0, filter: {} });
    let beating = 0;
    let overlapping = 0;
    const heartbeat = store.heartbeat.bind(store);
    // a's beats take a while, so a signal can come during one
    store.heartbeat = async (consumer, beat) => {
      if (beat.member !== 'a') return heartbeat(consumer, beat);
      if (beating++ > 0) overlapping++;
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await heartbeat(consumer, beat);
      } finally {
        beating--;
      }
    };
    const a = memberOf(store, 'a');
    await a.membership.join();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const beats = () => store.calls.filter((call) => call === 'heartbeat g a').length;
    const before = beats();
    // three members join at once: a burst of signals
    await Promise.all(['b', 'c', 'd'].map((member) => store.heartbeat('g', { member, state: 'live', position: 0, leaseMs: LEASE_MS })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(beats() - before).toBeGreaterThanOrEqual(1);
    expect(beats() - before).toBeLessThanOrEqual(2);
    expect(a.membership.reassigning).toBe(true);
    expect(overlapping).toBe(0);
    // stopped: a change no longer makes it beat
    await a.stop();
    const stopped = beats();
    await store.release('g', 'b');
    await store.heartbeat('g', { member: 'e', state: 'live', position: 0, leaseMs: LEASE_MS });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(beats()).toBe(stopped);
  });
});
