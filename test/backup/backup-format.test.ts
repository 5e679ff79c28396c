import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_FORMAT } from '../../src/backup/backup-format.js';
import { verifyBackup } from '../../src/backup/backup-reader.js';
import { backupStore } from '../../src/backup/backup-store.js';
import { restoreBackup } from '../../src/backup/restore-backup.js';
import type { EventStore } from '../../src/store/event-store.js';
import { MemoryCopyStore } from './memory-copy-store.js';
import { refusal } from '../support/refusal.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-backup-format-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;
const fresh = (name = 'backup') => join(folder, `${name}-${files++}.tbk`);
const KB = JSON.stringify({ text: 'x'.repeat(1000), quote: 'a "quoted" \\ value', unicode: 'é 😀' });

/** A source with two batches' worth of events, stream changes between them, and a table. */
function sourceStore(): MemoryCopyStore {
  const source = new MemoryCopyStore('source.db');
  source.append('order-1', 1500, KB);
  source.change('order-1', '{"owner":"sales"}');
  source.append('order-2', 1500, KB);
  source.change('order-2', '{"owner":"ops"}');
  source.tables = [{ table: 'consumers', columns: ['name', 'checkpoint'], rows: [['billing', 1200]] }];
  return source;
}

function lines(file: string): string[] {
  return gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(0, -1);
}

function rewrite(file: string, edit: (lines: string[]) => string[]): string {
  const copy = fresh('edited');
  writeFileSync(copy, gzipSync(edit(lines(file)).map((line) => line + '\n').join('')));
  return copy;
}

function expectUntouched(target: MemoryCopyStore): void {
  expect(target.writes).toEqual([]);
  expect(target.events).toEqual([]);
  expect(target.state).toBeUndefined();
}

describe('backup file format', () => {
  it('writes a header, the batches, the tables and a trailer, and restores byte for byte', async () => {
    const source = sourceStore();
    const file = fresh();
    const summary = await backupStore(source, file);
    expect(summary).toMatchObject({ storeId: 'store-source.db', since: null, from: { position: 0, change: 0 }, until: { position: 3000, change: 2 }, events: 3000, changes: 2 });
    expect(summary.batches).toBeGreaterThanOrEqual(2);
    expect(summary.fileBytes).toBeLessThan(summary.bytes / 5);
    expect(readdirSync(folder).filter((name) => name.endsWith('.partial'))).toEqual([]);

    const text = lines(file);
    expect(JSON.parse(text[0]!)).toMatchObject({ format: BACKUP_FORMAT, version: 1, backupId: summary.backupId, sourceLocation: 'source.db', head: 3000 });
    expect(JSON.parse(text.at(-2)!)).toEqual({ tables: source.tables });
    expect(JSON.parse(text.at(-1)!)).toMatchObject({ end: { batches: summary.batches, events: 3000, changes: 2 } });

    const target = new MemoryCopyStore('target.db');
    const restored = await restoreBackup(file, target);
    expect(restored).toMatchObject({ backupId: summary.backupId, checkpoint: { position: 3000, change: 2 }, events: 3000, changes: 2 });
    expect(target.events).toEqual(source.events);
    expect(target.events[10]![7]).toBe(KB);
    expect(target.streams).toEqual(source.streams);
    expect(target.tables).toEqual(source.tables);
    expect(target.state).toMatchObject({ sourceId: 'store-source.db', sourceLocation: 'source.db', role: 'restored', checkpoint: { position: 3000, change: 2 } });
  });

  it('an incremental backup holds only what came after the one it follows, and restores on top of it', async () => {
    const source = sourceStore();
    const full = fresh('full');
    await backupStore(source, full);
    source.append('order-3', 10, KB);
    source.change('order-1', '{"owner":"finance"}');
    source.append('order-1', 5, KB);
    source.tables = [{ table: 'consumers', columns: ['name', 'checkpoint'], rows: [['billing', 3010]] }];
    const increment = fresh('increment');
    const summary = await backupStore(source, increment, { since: full });
    expect(summary).toMatchObject({ from: { position: 3000, change: 2 }, until: { position: 3015, change: 3 }, events: 15, changes: 1 });
    expect(summary.since).toBe((await verifyBackup(full)).header.backupId);

    const target = new MemoryCopyStore('target.db');
    await restoreBackup(full, target);
    await restoreBackup(increment, target);
    expect(target.events).toEqual(source.events);
    expect(target.streams).toEqual(source.streams);
    expect(target.tables).toEqual(source.tables);
    expect(target.state?.checkpoint).toEqual({ position: 3015, change: 3 });

    expect(await refusal(backupStore(source, full, { since: full }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await verifyBackup(full)).header.since).toBeNull();

    // nothing new: an increment with no batch that still moves nothing
    const empty = fresh('empty');
    expect(await backupStore(source, empty, { since: increment })).toMatchObject({ events: 0, changes: 0, from: summary.until, until: summary.until });
    await restoreBackup(empty, target);
    expect(target.events).toEqual(source.events);
  });

  it('refuses an increment on the wrong base, and one of another store, writing nothing', async () => {
    const source = sourceStore();
    const full = fresh('full');
    await backupStore(source, full);
    source.append('order-3', 10, KB);
    const first = fresh('first');
    await backupStore(source, first, { since: full });
    source.append('order-3', 10, KB);
    const second = fresh('second');
    await backupStore(source, second, { since: first });

    const empty = new MemoryCopyStore('empty.db');
    expect(await refusal(restoreBackup(first, empty))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'not-restored' } });
    expectUntouched(empty);

    const base = new MemoryCopyStore('base.db');
    await restoreBackup(full, base);
    let writes = base.writes.length;
    expect(await refusal(restoreBackup(second, base))).toMatchObject({
      code: 'MIRROR_TARGET_REFUSED',
      details: { reason: 'wrong-base', expected: { position: 3010, change: 2 }, found: { position: 3000, change: 2 } },
    });
    expect(base.writes.length).toBe(writes);
    // the same file again finds every batch written: it only replaces the tables
    expect(await restoreBackup(full, base)).toMatchObject({ events: 0, checkpoint: { position: 3000, change: 2 } });
    expect(base.writes.slice(writes)).toEqual(['replaceTables']);
    await restoreBackup(first, base);
    expect(await refusal(restoreBackup(full, base))).toMatchObject({
      code: 'MIRROR_TARGET_REFUSED',
      details: { reason: 'wrong-base', expected: { position: 0, change: 0 }, found: { position: 3010, change: 2 } },
    });

    const changed = new MemoryCopyStore('changed.db');
    await restoreBackup(full, changed);
    changed.change('order-1', '{"owner":"someone else"}');
    expect(await refusal(restoreBackup(first, changed))).toMatchObject({
      code: 'MIRROR_TARGET_REFUSED',
      details: { reason: 'written-since', expected: { position: 3000, change: 2 }, found: { position: 3000, change: 3 } },
    });
    base.append('order-9', 1);
    writes = base.writes.length;
    expect(await refusal(restoreBackup(first, base))).toMatchObject({
      code: 'MIRROR_TARGET_REFUSED',
      details: { reason: 'written-since', expected: { position: 3010, change: 2 }, found: { position: 3011, change: 2 } },
    });
    expect(base.writes.length).toBe(writes);

    const other = new MemoryCopyStore('other.db');
    other.append('order-1', 3);
    expect(await refusal(backupStore(other, fresh(), { since: full }))).toMatchObject({
      code: 'MIRROR_TARGET_REFUSED',
      details: { reason: 'other-source', expected: 'store-other.db', found: 'store-source.db' },
    });
  });

  it('a restore that stopped halfway goes on from the last batch written when run again', async () => {
    const source = sourceStore();
    source.append('order-3', 3000, KB);
    const file = fresh();
    await backupStore(source, file, { batchEvents: 500 });
    const target = new MemoryCopyStore('target.db');
    const apply = target.copyTarget.applyCopy.bind(target.copyTarget);
    let batches = 0;
    target.copyTarget.applyCopy = async (from, batch) => {
      if (++batches === 5) throw new Error('connection lost');
      await apply(from, batch);
    };
    await expect(restoreBackup(file, target)).rejects.toThrow('connection lost');
    expect(target.state?.checkpoint.position).toBe(2000);
    target.copyTarget.applyCopy = apply;
    expect(await restoreBackup(file, target)).toMatchObject({ events: 4000, checkpoint: { position: 6000, change: 2 } });
    expect(target.events).toEqual(source.events);
    expect(target.streams).toEqual(source.streams);
    expect(target.tables).toEqual(source.tables);

    // a store standing inside a batch of the file, not where one ends
    const inside = new MemoryCopyStore('inside.db');
    const half = fresh();
    await backupStore(source, half, { batchEvents: 2000 });
    const checkpoint = { position: 2500, change: 1 };
    inside.state = { sourceId: 'store-source.db', sourceLocation: 'source.db', role: 'restored', checkpoint, sourceHead: 2500, promoteRequestedAt: null, updatedAt: 0 };
    inside.events = source.events.slice(0, 2500);
    inside.head = 2500;
    inside.lastChange = 1;
    const writes = inside.writes.length;
    expect(await refusal(restoreBackup(half, inside))).toMatchObject({ code: 'MIRROR_TARGET_REFUSED', details: { reason: 'wrong-base', found: { position: 2500, change: 1 } } });
    expect(inside.writes.length).toBe(writes);
  });

  describe('a damaged file is BACKUP_CORRUPT and the target stays untouched', () => {
    const source = sourceStore();
    const file = fresh('good');
    beforeAll(async () => {
      await backupStore(source, file);
    });

    async function expectCorrupt(damaged: string, reason?: string): Promise<void> {
      const target = new MemoryCopyStore('target.db');
      const refused = await refusal(restoreBackup(damaged, target));
      expect(refused).toMatchObject({ code: 'BACKUP_CORRUPT', details: { file: damaged } });
      if (reason !== undefined) expect(refused.details['reason']).toBe(reason);
      expectUntouched(target);
    }

    it('a byte changed in the middle', async () => {
      const bytes = readFileSync(file);
      for (const at of [0.3, 0.5, 0.7]) {
        const damaged = Buffer.from(bytes);
        const index = Math.floor(bytes.length * at);
        damaged[index] = damaged[index]! ^ 0x55;
        const copy = fresh('flipped');
        writeFileSync(copy, damaged);
        await expectCorrupt(copy);
      }
    });

    it('cut inside the gzip stream, or just before the trailer', async () => {
      const bytes = readFileSync(file);
      for (const length of [0, 5, 100, Math.floor(bytes.length / 2), bytes.length - 30, bytes.length - 1]) {
        const copy = fresh('cut');
        writeFileSync(copy, bytes.subarray(0, length));
        await expectCorrupt(copy, 'truncated');
      }
      await expectCorrupt(
        rewrite(file, (text) => text.slice(0, -1)),
        'truncated',
      );
      const cutLine = fresh('cut-line');
      writeFileSync(cutLine, gzipSync(lines(file).join('\n').slice(0, -20)));
      await expectCorrupt(cutLine, 'truncated');
      await expectCorrupt(
        rewrite(file, (text) => [...text.slice(0, 2), text.at(-1)!]),
        'checksum-mismatch',
      );
    });

    it('a wrong checksum in the trailer, or counts that do not match', async () => {
      const withTrailer = (change: (end: Record<string, unknown>) => void) =>
        rewrite(file, (text) => {
          const trailer = JSON.parse(text.at(-1)!) as { end: Record<string, unknown> };
          change(trailer.end);
          return [...text.slice(0, -1), JSON.stringify(trailer)];
        });
      await expectCorrupt(
        withTrailer((end) => (end['sha256'] = '0'.repeat(64))),
        'checksum-mismatch',
      );
      await expectCorrupt(
        withTrailer((end) => (end['events'] = 2999)),
        'inconsistent',
      );
    });

    it('a file that is not gzip, and a header of another format or version', async () => {
      const plain = fresh('plain');
      writeFileSync(plain, lines(file).join('\n'));
      await expectCorrupt(plain, 'not-gzip');
      const withHeader = (change: (header: Record<string, unknown>) => void) =>
        rewrite(file, (text) => {
          const header = JSON.parse(text[0]!) as Record<string, unknown>;
          change(header);
          return [JSON.stringify(header), ...text.slice(1)];
        });
      await expectCorrupt(
        withHeader((header) => (header['format'] = 'other-backup')),
        'not-a-backup',
      );
      await expectCorrupt(
        withHeader((header) => (header['version'] = 2)),
        'unsupported-version',
      );
      const notJson = fresh('text');
      writeFileSync(notJson, gzipSync('hello\n'));
      await expectCorrupt(notJson, 'not-a-backup');
    });
  });

  it('a backup that fails midway leaves neither the file nor its partial file', async () => {
    const source = sourceStore();
    const failing: Pick<EventStore, 'location' | 'copySource'> = {
      location: source.location,
      copySource: {
        ...source.copySource,
        snapshot: (read) => source.copySource.snapshot((view) => read({ ...view, readTables: () => Promise.reject(new Error('disk gone')) })),
      },
    };
    const file = fresh('failed');
    await expect(backupStore(failing, file)).rejects.toThrow('disk gone');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
