import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { backupStore, type BackupSummary } from '../../src/backup/backup-store.js';
import { verifyBackup } from '../../src/backup/backup-reader.js';
import { restoreBackup, type RestoreTarget } from '../../src/backup/restore-backup.js';
import { openStore } from '../../src/open/open-store.js';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { CopiedTable, CopyBatch, CopyCheckpoint } from '../../src/store/log-copy.js';
import { backends, scratch, type BackendLocation } from '../support/backends.js';
import { dumpStore, type StoreDump } from '../support/store-dump.js';
import { refusal } from '../support/refusal.js';
import { busyHistory } from '../support/copy-history.js';

const open: EventStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

let labels = 0;
async function fresh(backend: BackendLocation): Promise<EventStore> {
  const store = await openStore(backend.location(`backup_${labels++}`));
  open.push(store);
  return store;
}

const backupFile = () => join(scratch, `backup-${labels++}.tbk`);
const noted = (value: unknown) => ({ type: 'Noted', data: value });

/** The side tables a copy carries: a consumer group's checkpoints and an API token. */
async function sideTables(store: EventStore, round: number): Promise<void> {
  await store.consumers.register({ name: `billing-${round}`, partitions: 2, startAt: 0, filter: {} });
  await store.consumers.saveCheckpoints(`billing-${round}`, [
    { partition: 0, position: 10 * round },
    { partition: 1, position: 20 * round },
  ]);
  await store.tokens!.create({ id: randomUUID(), name: `ops-${round}`, secretHash: `hash-${round}`, scopes: ['read:*'] });
}

/** Appends to `live-1` one event at a time until stopped, and after each moves consumer `follower` to it; counts them. */
async function appender(store: EventStore) {
  let stopped = false;
  let count = 0;
  await store.consumers.register({ name: 'follower', partitions: 1, startAt: 0, filter: {} });
  const running = (async () => {
    while (!stopped) {
      const { position } = await store.append('live-1', [noted({ count })]);
      await store.consumers.saveCheckpoints('follower', [{ partition: 0, position }]);
      count++;
    }
  })();
  return {
    get count() {
      return count;
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** A table's rows as objects, so two backends' column orders compare equal. */
function tableRows(tables: CopiedTable[]): Record<string, Record<string, unknown>[]> {
  return Object.fromEntries(tables.map(({ table, columns, rows }) => [table, rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]])))]));
}

/** What the source looked like at `until`, for streams only the appender wrote after it. */
function atBackup(dump: StoreDump): StoreDump {
  const live = dump.events.filter((row) => row[2] === 'live-1').at(-1);
  return {
    ...dump,
    streams: dump.streams.map((stream) =>
      stream.info.stream === 'live-1' && live !== undefined ? { ...stream, info: { ...stream.info, lastRevision: live[3], lastPosition: live[0] } } : stream,
    ),
  };
}

const pairs = backends.flatMap((from) => backends.filter((to) => from.name === 'sqlite' || to.name === 'sqlite').map((to) => [from, to] as const));

describe.each(pairs.map(([from, to]) => ({ from, to, title: `${from.name} → ${to.name}` })))('backup and restore $title', ({ from, to }) => {
  it('a backup taken during appends restores equal to the source at its until; an increment after more changes restores equal again', async () => {
    const source = await fresh(from);
    await busyHistory(source, 1, 5);
    await sideTables(source, 1);

    const appends = await appender(source);
    while (appends.count < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    let appendedAtFirstBatch: number | undefined;
    const full = backupFile();
    const summary: BackupSummary = await backupStore(source, full, { batchEvents: 100, onProgress: () => (appendedAtFirstBatch ??= appends.count) });
    const appendedDuring = appends.count - appendedAtFirstBatch!;
    await appends.stop();
    // appends went on while the backup read, and none of them after its snapshot is in it
    expect(appendedDuring).toBeGreaterThan(0);
    expect(await source.headPosition()).toBeGreaterThan(summary.until.position);
    expect(summary.events).toBeGreaterThan(1500);

    const target = await fresh(to);
    const restored = await restoreBackup(full, target);
    expect(restored.checkpoint).toEqual(summary.until);
    const [expected, actual] = await Promise.all([dumpStore(source, summary.until.position), dumpStore(target)]);
    expect(actual.events.length).toBe(summary.events);
    expect(actual).toEqual(atBackup(expected));
    // the tables are those of the same moment: the follower's checkpoint is the last or the one before last append up to until
    const follower = (await target.consumers.get('follower'))!.partitions[0]!.checkpoint;
    const live = expected.events.filter((row) => row[2] === 'live-1').map((row) => row[0]);
    expect(live.slice(-2)).toContain(follower);
    expect(tableRows((await target.copySource!.readTables()).filter(({ table }) => table !== 'consumer_partitions'))).toEqual(
      tableRows((await source.copySource!.readTables()).filter(({ table }) => table !== 'consumer_partitions')),
    );
    expect(await target.copyTarget!.copyState()).toMatchObject({ sourceId: await source.copySource!.storeId(), role: 'restored', checkpoint: summary.until });

    // more appends, metadata, a soft delete, a scavenge, and new side-table rows: the increment carries all of it
    await busyHistory(source, 2, 5);
    await source.setStreamMetadata('order-1-1', { truncateBefore: 100 });
    await source.deleteStream('live-1');
    await source.scavenge();
    await sideTables(source, 2);
    const increment = backupFile();
    const next = await backupStore(source, increment, { since: full });
    expect(next).toMatchObject({ since: summary.backupId, from: summary.until, until: { position: await source.headPosition() } });
    await restoreBackup(increment, target);
    const [again, copied] = await Promise.all([dumpStore(source), dumpStore(target)]);
    expect(copied).toEqual(again);
    expect(next.events).toBe(again.events.filter((row) => row[0] > summary.until.position).length);
    expect(tableRows(await target.copySource!.readTables())).toEqual(tableRows(await source.copySource!.readTables()));
    expect((await target.readAll({ tags: ['region:eu'] })).events.map((event) => event.id)).toEqual(
      (await source.readAll({ tags: ['region:eu'] })).events.map((event) => event.id),
    );

    // applied twice it finds everything written; an increment skipped, onto an empty store, or after the restored store was written to: refused, nothing written
    expect(await restoreBackup(increment, target)).toMatchObject({ events: 0, checkpoint: next.until });
    expect(await dumpStore(target)).toEqual(copied);
    await source.append('order-late', [noted({ late: true })]);
    const third = backupFile();
    await backupStore(source, third, { since: increment });
    const behind = await fresh(to);
    await restoreBackup(full, behind);
    expect(await refusal(restoreBackup(third, behind))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'wrong-base', expected: next.until, found: summary.until } });
    expect(await behind.headPosition()).toBe(summary.until.position);
    const empty = await fresh(to);
    expect(await refusal(restoreBackup(increment, empty))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'not-restored' } });
    expect(await empty.copyTarget!.isEmpty()).toBe(true);
    const written = await fresh(to);
    await restoreBackup(full, written);
    const appended = await written.append('order-new', [noted({ mine: true })]);
    expect(appended.position).toBe(summary.until.position + 1);
    expect(await refusal(restoreBackup(increment, written))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'written-since' } });
    expect(await written.headPosition()).toBe(appended.position);
  });

  it('a restore that stopped halfway goes on from its last batch when run again', async () => {
    const source = await fresh(from);
    await busyHistory(source, 1, 5);
    await sideTables(source, 1);
    const file = backupFile();
    await backupStore(source, file, { batchEvents: 300 });
    const target = await fresh(to);
    const copyTarget = target.copyTarget!;
    let batches = 0;
    // the store's own copy target, but its third batch fails as a lost connection would
    const failing = new Proxy(copyTarget, {
      get(object, key) {
        if (key === 'applyCopy') return (from: CopyCheckpoint, batch: CopyBatch) => (++batches === 3 ? Promise.reject(new Error('connection lost')) : object.applyCopy(from, batch));
        const value: unknown = Reflect.get(object, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
      },
    });
    const flaky: RestoreTarget = { location: target.location, copySource: target.copySource, headPosition: () => target.headPosition(), copyTarget: failing };
    await expect(restoreBackup(file, flaky)).rejects.toThrow('connection lost');
    expect(await target.headPosition()).toBe((await copyTarget.copyState())!.checkpoint.position);
    const resumed = await restoreBackup(file, target);
    expect(resumed.events).toBeLessThan((await verifyBackup(file)).trailer.events);
    expect(await dumpStore(target)).toEqual(await dumpStore(source));
    expect(tableRows(await target.copySource!.readTables())).toEqual(tableRows(await source.copySource!.readTables()));
  });

  it('a damaged backup is refused before the target is touched', async () => {
    const source = await fresh(from);
    await busyHistory(source, 1, 5);
    const file = backupFile();
    await backupStore(source, file);
    expect(existsSync(`${file}.partial`)).toBe(false);
    const bytes = readFileSync(file);
    const text = gunzipSync(bytes).toString('utf8').split('\n').slice(0, -1);
    const damaged = (content: Buffer | string) => {
      const copy = backupFile();
      writeFileSync(copy, content);
      return copy;
    };
    const flipped = Buffer.from(bytes);
    flipped[bytes.length >> 1] = flipped[bytes.length >> 1]! ^ 0xff;
    const trailer = JSON.parse(text.at(-1)!) as { end: { sha256: string } };
    trailer.end.sha256 = trailer.end.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const header = JSON.parse(text[0]!) as { version: number };
    header.version = 2;
    const cases: [string, string | undefined][] = [
      [damaged(bytes.subarray(0, 4000)), 'truncated'],
      [damaged(gzipSync(text.slice(0, -1).join('\n') + '\n')), 'truncated'],
      [damaged(flipped), undefined],
      [damaged(gzipSync([...text.slice(0, -1), JSON.stringify(trailer)].join('\n') + '\n')), 'checksum-mismatch'],
      [damaged(text.join('\n')), 'not-gzip'],
      [damaged(gzipSync([JSON.stringify(header), ...text.slice(1)].join('\n') + '\n')), 'unsupported-version'],
    ];
    const target = await fresh(to);
    for (const [corrupt, reason] of cases) {
      const refused = await refusal(restoreBackup(corrupt, target));
      expect(refused).toMatchObject({ code: 'BACKUP_CORRUPT', details: { file: corrupt, ...(reason === undefined ? {} : { reason }) } });
      expect(await target.copyTarget!.isEmpty()).toBe(true);
      expect(await target.copyTarget!.copyState()).toBeUndefined();
      expect(await target.headPosition()).toBe(0);
    }
    // the file as written restores into the same target
    expect((await restoreBackup(file, target)).events).toBeGreaterThan(1500);
  });
});

describe('backup and restore through a server', () => {
  it('refuses to back up through a server, which cannot hold one view across requests, and to restore into one; no file is left', async () => {
    const store = await openStore(join(scratch, `served_${labels++}.db`));
    open.push(store);
    await store.append('order-1', [noted({ a: 1 })]);
    const admin = mintToken('ops', ['admin']);
    await store.tokens!.create(admin.record);
    const app = await buildServer({ store, open: false });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const remote = openRemoteStore({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, token: admin.token });
      const file = backupFile();
      expect(await refusal(backupStore(remote, file))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { reason: 'remote-snapshot' } });
      expect(existsSync(file)).toBe(false);
      expect(existsSync(`${file}.partial`)).toBe(false);
      await backupStore(store, file);
      expect(await refusal(restoreBackup(file, remote))).toMatchObject({ code: 'UNSUPPORTED_DATABASE' });
      await remote.close();
    } finally {
      await app.close();
    }
  });
});
