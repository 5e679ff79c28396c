import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupStore } from '../../src/backup/backup-store.js';
import { restoreBackup } from '../../src/backup/restore-backup.js';
import { openStore } from '../../src/open/open-store.js';
import { mirrorLog, type MirrorResult } from '../../src/mirror/mirror-log.js';
import { promoteMirror } from '../../src/mirror/promote.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends, scratch, type BackendLocation } from '../support/backends.js';
import { dumpStore } from '../support/store-dump.js';
import { refusal } from '../support/refusal.js';
import { busyHistory } from '../support/copy-history.js';

const open: EventStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

let labels = 0;
async function fresh(backend: BackendLocation): Promise<EventStore> {
  const store = await openStore(backend.location(`mirror_${labels++}`));
  open.push(store);
  return store;
}

const json = (value: unknown) => ({ type: 'Noted', data: value });

async function caughtUp(source: EventStore, target: EventStore): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const head = await source.copySource!.copyHead();
    const state = await target.copyTarget!.copyState();
    // and what the target's readers see: its last batch may be committed, and its checkpoint readable, before it is on disk
    const seen = await target.copySource!.copyHead();
    if (state !== undefined && state.checkpoint.position >= head.head && state.checkpoint.change >= head.lastChange && seen.lastChange >= head.lastChange) return;
    if (Date.now() > deadline) throw new Error(`the mirror did not catch up: ${JSON.stringify({ head, state })}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function expectEqual(source: EventStore, target: EventStore): Promise<void> {
  const [a, b] = await Promise.all([dumpStore(source), dumpStore(target)]);
  expect(b).toEqual(a);
  expect(a.events.length).toBeGreaterThan(0);
  expect(await target.headPosition()).toBe(await source.headPosition());
}

const pairs = backends.flatMap((from) => backends.filter((to) => from.name === 'sqlite' || to.name === 'sqlite').map((to) => [from, to] as const));

describe.each(pairs.map(([from, to]) => ({ from, to, title: `${from.name} → ${to.name}` })))('mirror $title', ({ from, to }) => {
  it('copies the log exactly, then follows it live until stopped', async () => {
    const source = await fresh(from);
    const target = await fresh(to);
    await busyHistory(source, 1);
    const stop = new AbortController();
    const running: Promise<MirrorResult> = mirrorLog(source, target, { signal: stop.signal, pollMs: 50, batchEvents: 3 });
    try {
      await caughtUp(source, target);
      await expectEqual(source, target);

      await busyHistory(source, 2);
      await source.setStreamMetadata('order-1', { truncateBefore: 1 });
      await source.scavenge();
      await caughtUp(source, target);
      await expectEqual(source, target);
      expect((await target.readAll({ tags: ['region:eu'] })).events.map((event) => event.position)).toEqual(
        (await source.readAll({ tags: ['region:eu'] })).events.map((event) => event.position),
      );
      expect((await target.readAll({ categories: ['invoice'] })).events.map((event) => event.id)).toEqual(
        (await source.readAll({ categories: ['invoice'] })).events.map((event) => event.id),
      );
    } finally {
      stop.abort();
    }
    const result = await running;
    expect(result.promoted).toBe(false);
    expect(result.checkpoint.position).toBe(await source.headPosition());
  });

  it('refuses writes while it is a mirror, and once promoted takes them at positions after the source’s', async () => {
    const source = await fresh(from);
    const target = await fresh(to);
    await busyHistory(source, 1);
    await mirrorLog(source, target, { follow: false });
    const write = await refusal(target.append('order-9', [json({ x: 1 })]));
    expect(write).toEqual({ code: 'MIRROR_READ_ONLY', details: { source: await source.copySource!.storeId() } });
    for (const attempt of [
      () => target.appendMany([{ stream: 'order-9', events: [json({})] }]),
      () => target.setStreamMetadata('order-1', { maxCount: 1 }),
      () => target.deleteStream('order-1'),
      () => target.tombstoneStream('order-1'),
      () => target.scavenge(),
    ]) {
      expect((await refusal(attempt())).code).toBe('MIRROR_READ_ONLY');
    }
    // the last positions of the source were scavenged: the promoted store must not hand them out again
    const sourceHead = await source.headPosition();
    expect((await source.readAll({ after: sourceHead - 2 })).events).toEqual([]);
    const promoted = await promoteMirror(target, { source });
    expect(promoted).toMatchObject({ position: sourceHead, by: 'source' });
    const appended = await target.append('order-9', [json({ after: 'promote' })]);
    expect(appended.position).toBe(sourceHead + 1);
    expect((await target.copyTarget!.copyState())?.role).toBe('promoted');
    expect((await refusal(mirrorLog(source, target, { follow: false }))).details['reason']).toBe('promoted');
  });

  it('refuses a target with events of its own, a mirror of another store, and the source itself', async () => {
    const source = await fresh(from);
    await source.append('order-1', [json({ a: 1 })]);
    const busy = await fresh(to);
    await busy.append('order-1', [json({ mine: true })]);
    expect(await refusal(mirrorLog(source, busy, { follow: false }))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'not-empty' } });
    expect(await busy.headPosition()).toBe(1);

    const other = await fresh(from);
    await other.append('order-2', [json({ b: 1 })]);
    const target = await fresh(to);
    await mirrorLog(other, target, { follow: false });
    expect(await refusal(mirrorLog(source, target, { follow: false }))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'other-source' } });
    expect((await refusal(mirrorLog(source, source, { follow: false }))).code).toBe('MIRROR_TARGET_REFUSED');
  });

  it('goes on from a restored backup of the same source, and refuses one written to since', async () => {
    const source = await fresh(from);
    const target = await fresh(to);
    await busyHistory(source, 1);
    const file = join(scratch, `seed-${labels++}.tbk`);
    await backupStore(source, file);
    await busyHistory(source, 2);
    await restoreBackup(file, target);
    expect((await target.copyTarget!.copyState())?.role).toBe('restored');
    await mirrorLog(source, target, { follow: false });
    await expectEqual(source, target);
    expect((await target.copyTarget!.copyState())?.role).toBe('mirror');

    const written = await fresh(to);
    await restoreBackup(file, written);
    await written.append('order-77', [json({ mine: true })]);
    expect((await refusal(mirrorLog(source, written, { follow: false }))).details['reason']).toBe('written-since');
    // a stream change leaves the head where it was, and is a write all the same
    const changed = await fresh(to);
    await restoreBackup(file, changed);
    await changed.setStreamMetadata('order-1', { maxCount: 1 });
    expect((await refusal(mirrorLog(source, changed, { follow: false }))).details['reason']).toBe('written-since');
  });

  it('resumes from the checkpoint it keeps in the target, without a gap or a duplicate', async () => {
    const source = await fresh(from);
    const target = await fresh(to);
    await busyHistory(source, 1);
    // stopped after its first batch, as a killed mirror would be after its last commit
    const stop = new AbortController();
    await mirrorLog(source, target, { signal: stop.signal, batchEvents: 2, onProgress: () => stop.abort() });
    const partial = (await target.copyTarget!.copyState())!.checkpoint;
    expect(partial.position).toBeLessThan(await source.headPosition());
    await busyHistory(source, 2);
    await mirrorLog(source, target, { follow: false, batchEvents: 2 });
    await expectEqual(source, target);
  });
});
