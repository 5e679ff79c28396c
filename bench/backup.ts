// Backup and restore of a SQLite store of 1 KB events, against baselines measured in the same run:
//  - backup: uncompressed bytes read per second and file bytes written per second, against the disk's
//    sequential write rate (the same number of bytes written in 1 MB blocks, then fsync);
//  - restore into a new SQLite file: events per second, against the initial copy of the same store by a mirror.
//   node --import tsx bench/backup.ts      BENCH_EVENTS=100000  BENCH_RUNS=3
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupStore } from '../src/backup/backup-store.js';
import { verifyBackup } from '../src/backup/backup-reader.js';
import { restoreBackup } from '../src/backup/restore-backup.js';
import { openStore } from '../src/backends/open-store.js';
import { mirrorLog } from '../src/mirror/mirror-log.js';
import type { EventData } from '../src/core/event.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 100_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-backup-'));
let files = 0;
const path = (name: string) => join(folder, `${name}-${files++}`);

const WORDS = 'order item customer shipped paid refund warehouse parcel express standard priority sku quantity price discount coupon address city street'.split(' ');
const pick = (i: number, salt: number) => WORDS[(i * 7919 + salt * 104_729) % WORDS.length]!;

/** About 1 KB of order JSON with ids and free text that vary, so gzip has real work to do. */
function orderData(i: number): Record<string, unknown> {
  const items = Array.from({ length: 6 }, (_, k) => ({ sku: `SKU-${(i * 31 + k * 977) % 100_000}`, name: [0, 1, 2, 3].map((w) => pick(i + k, w)).join(' '), qty: (i + k) % 10, price: ((i * k * 7919) % 100_000) / 100 }));
  const note = Array.from({ length: 22 }, (_, w) => pick(i, w + 10)).join(' ');
  return { orderId: randomUUID(), customer: { id: randomUUID(), email: `c${(i * 7919) % 1_000_000}@example.com` }, items, note };
}

async function sourceStore(): Promise<{ location: string; bytes: number }> {
  const location = path('source.db');
  const store = await openStore(location);
  let bytes = 0;
  for (let i = 0; i < EVENTS; i += 1000) {
    const events: EventData[] = Array.from({ length: Math.min(1000, EVENTS - i) }, (_, k) => {
      const data = orderData(i + k);
      bytes += JSON.stringify(data).length;
      return { type: 'OrderPlaced', data, metadata: { correlationId: randomUUID() } };
    });
    await store.append(`order-${(i / 1000) % 100}`, events);
  }
  await store.close();
  return { location, bytes };
}

async function diskWriteRate(bytes: number): Promise<number> {
  const file = await openFile(path('disk.bin'), 'w');
  const block = Buffer.alloc(1 << 20, 7);
  const started = performance.now();
  for (let written = 0; written < bytes; written += block.length) await file.write(block);
  await file.sync();
  const seconds = (performance.now() - started) / 1000;
  await file.close();
  return bytes / seconds;
}

const mb = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const { location, bytes: dataBytes } = await sourceStore();
console.log(`${EVENTS.toLocaleString('en-US')} events, ${(dataBytes / EVENTS).toFixed(0)} bytes of data each; ${RUNS} runs, medians\n`);
const rows: Record<string, number[]> = { disk: [], backupIn: [], backupFile: [], verify: [], restore: [], mirror: [] };
let ratio = '';
for (let run = 0; run < RUNS; run++) {
  const source = await openStore(location, { create: false });
  const file = path('backup.tbk');
  const backup = await backupStore(source, file);
  rows['backupIn']!.push(backup.bytes / backup.seconds);
  rows['backupFile']!.push(backup.fileBytes / backup.seconds);
  ratio = `${((backup.fileBytes / backup.bytes) * 100).toFixed(1)}%`;
  rows['disk']!.push(await diskWriteRate(backup.bytes));

  const checking = performance.now();
  await verifyBackup(file);
  rows['verify']!.push(EVENTS / ((performance.now() - checking) / 1000));
  const restored = await openStore(path('restored.db'));
  const restore = await restoreBackup(file, restored);
  rows['restore']!.push(restore.events / restore.seconds);
  await restored.close();

  const mirrored = await openStore(path('mirror.db'));
  const started = performance.now();
  const copy = await mirrorLog(source, mirrored, { follow: false });
  rows['mirror']!.push(copy.copied / ((performance.now() - started) / 1000));
  await mirrored.close();
  await source.close();
}
const disk = median(rows['disk']!);
const restore = median(rows['restore']!);
const mirror = median(rows['mirror']!);
console.log(`disk sequential write          ${mb(disk)}`);
console.log(`backup, uncompressed bytes in  ${mb(median(rows['backupIn']!))}  (${(median(rows['backupIn']!) / disk).toFixed(2)}x the disk)`);
console.log(`backup, file bytes out         ${mb(median(rows['backupFile']!))}  (${(median(rows['backupFile']!) / disk).toFixed(2)}x the disk; the file is ${ratio} of the content)`);
const verify = median(rows['verify']!);
const whole = 1 / (1 / restore + 1 / verify);
console.log(`checking the file              ${Math.round(verify).toLocaleString('en-US')} events/s`);
console.log(`restore into SQLite            ${Math.round(restore).toLocaleString('en-US')} events/s writing, ${Math.round(whole).toLocaleString('en-US')} events/s with the check first`);
console.log(`mirror initial copy            ${Math.round(mirror).toLocaleString('en-US')} events/s  (restore ${(restore / mirror).toFixed(2)}x writing, ${(whole / mirror).toFixed(2)}x with the check)`);
rmSync(folder, { recursive: true, force: true });
