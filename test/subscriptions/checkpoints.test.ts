import { describe, expect, it } from 'vitest';
import { Checkpoints, type CheckpointOptions } from '../../src/subscriptions/checkpoints.js';
import { PartitionProgress } from '../../src/subscriptions/partition-progress.js';
import { FakeConsumerStore } from '../support/fake-consumer-store.js';

async function setUp(options: Partial<CheckpointOptions> = {}, partitions = 1) {
  const store = new FakeConsumerStore();
  await store.register({ name: 'c', partitions, startAt: 0, filter: {} });
  const progress = new PartitionProgress();
  for (let partition = 0; partition < partitions; partition++) progress.take(partition, 0);
  const clock = { now: 0 };
  const errors: unknown[] = [];
  const settled: CheckpointOptions = { name: 'c', owner: undefined, checkpointEvents: 3, checkpointMs: 1_000, durableThrough: undefined, onError: (error) => errors.push(error), ...options };
  const checkpoints = new Checkpoints(store, progress, settled, () => clock.now);
  const stored = async () => (await store.get('c'))!.partitions.map((partition) => partition.checkpoint);
  return { store, progress, clock, errors, checkpoints, stored };
}

/** Lets background saves settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('checkpoints', () => {
  it('are due after checkpointEvents handled events, or checkpointMs after the last save', async () => {
    const { checkpoints, clock } = await setUp();
    expect(checkpoints.due).toBe(false);
    checkpoints.handled();
    checkpoints.handled();
    expect(checkpoints.due).toBe(false);
    checkpoints.handled();
    expect(checkpoints.due).toBe(true);
    checkpoints.committed();
    expect(checkpoints.due).toBe(false);
    clock.now = 999;
    expect(checkpoints.due).toBe(false);
    clock.now = 1_000;
    expect(checkpoints.due).toBe(true);
  });

  it('let the loop wait until a save is due for what was handled, and a whole interval when nothing was', async () => {
    const { checkpoints, clock } = await setUp();
    clock.now = 400;
    expect(checkpoints.waitMs()).toBe(1_000);
    checkpoints.handled();
    expect(checkpoints.waitMs()).toBe(600);
    clock.now = 5_000;
    expect(checkpoints.waitMs()).toBe(1);
  });

  it('save in the background, one at a time; keepUp waits for the save in flight before starting the next', async () => {
    const { store, progress, checkpoints, stored } = await setUp();
    const releases: (() => void)[] = [];
    const saveCheckpoints = store.saveCheckpoints.bind(store);
    store.saveCheckpoints = async (...args) => {
      await new Promise<void>((resolve) => releases.push(resolve));
      return saveCheckpoints(...args);
    };
    progress.advance(5);
    for (let i = 0; i < 3; i++) checkpoints.handled();
    checkpoints.startWhenDue();
    progress.advance(9);
    for (let i = 0; i < 3; i++) checkpoints.handled();
    checkpoints.startWhenDue();
    await settle();
    expect(releases).toHaveLength(1);
    const keptUp = checkpoints.keepUp();
    await settle();
    expect(releases).toHaveLength(1);
    releases[0]!();
    await keptUp;
    expect(releases).toHaveLength(2);
    expect(await stored()).toEqual([5]);
    releases[1]!();
    await settle();
    expect(await stored()).toEqual([9]);
  });

  it('never pass what durableThrough says is durable', async () => {
    let durable = 4;
    const { progress, checkpoints, stored } = await setUp({ durableThrough: () => durable });
    progress.advance(10);
    await checkpoints.flush();
    expect(await stored()).toEqual([4]);
    durable = 10;
    await checkpoints.flush();
    expect(await stored()).toEqual([10]);
  });

  it('drop the partitions the store says this member no longer holds, and save those it lets go alone', async () => {
    const { store, progress, checkpoints, stored } = await setUp({ owner: 'a' }, 3);
    await store.heartbeat('c', { member: 'a', state: 'live', position: 0, leaseMs: 60_000 });
    await store.claim('c', 'a', [0, 1]);
    progress.advance(7);
    await checkpoints.saveBeforeRelease([1]);
    expect(await stored()).toEqual([0, 7, 0]);
    await checkpoints.flush();
    expect(await stored()).toEqual([7, 7, 0]);
    expect([...progress.owned]).toEqual([0, 1]);
  });

  it('report a failed background save and make the next one due at once', async () => {
    const { store, progress, checkpoints, errors, stored } = await setUp();
    store.failNext('saveCheckpoints', new Error('disk full'));
    progress.advance(3);
    for (let i = 0; i < 3; i++) checkpoints.handled();
    checkpoints.startWhenDue();
    await settle();
    expect(errors).toEqual([new Error('disk full')]);
    expect(checkpoints.due).toBe(true);
    checkpoints.startWhenDue();
    await settle();
    expect(await stored()).toEqual([3]);
  });
});
