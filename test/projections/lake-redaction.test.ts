import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import type { LakeColumn } from '../../src/projections/sinks/lake-cells.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { queryLake } from '../../src/projections/sinks/lake-query.js';
import { LakeWriter } from '../../src/projections/sinks/lake-writer.js';
import { redact } from '../../src/time/corrections/redact.js';
import { backends } from '../support/backends.js';
import { until } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'tributary-lake-redaction-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lakes = 0;

const COLUMNS: LakeColumn[] = [
  { name: 'position', type: 'BIGINT' },
  { name: 'note', type: 'VARCHAR' },
];

function parquetOnDisk(directory: string): string[] {
  return readdirSync(directory, { recursive: true }).map(String).filter((path) => path.endsWith('.parquet')).sort();
}

describe('LakeWriter.redact', () => {
  it('rewrites only the files holding the rows, through the manifest, and deletes the files it replaced', async () => {
    const directory = join(root, `unit-${++lakes}`);
    const writer = await LakeWriter.open({ directory, columns: COLUMNS });
    try {
      // two rows of event 2 (one event may give several), and an event alone in its file
      for (const [position, note] of [[1, 'a'], [2, 'card 4111'], [2, 'card 4111 again'], [3, 'c']] as const) writer.add({ position, day: '2026-12-01', category: 'account', values: { position, note } });
      writer.add({ position: 4, day: '2026-12-01', category: 'order', values: { position: 4, note: 'order' } });
      await writer.roll();
      writer.add({ position: 5, day: '2026-12-02', category: 'account', values: { position: 5, note: 'alone' } });
      await writer.roll();
      const before = readManifest(directory)!;
      expect(before.files).toHaveLength(3);
      expect(await writer.redact([{ position: 2, category: 'account' }, { position: 5, category: 'account' }, { position: 4, category: 'payment' }], 3)).toBe(3);
      const after = readManifest(directory)!;
      expect(after.redactions).toBe(3);
      expect(after.position).toBe(before.position);
      // the order file is untouched; the day-1 account file replaced; the day-2 one gone with its only row
      expect(after.files.map((file) => [file.category, file.rows])).toEqual([
        ['account', 2],
        ['order', 1],
      ]);
      expect(after.files[1]).toEqual(before.files[1]);
      expect(after.files[0]!.path).not.toBe(before.files[0]!.path);
      expect(parquetOnDisk(directory)).toEqual(after.files.map((file) => file.path).sort());
      const { rows } = await queryLake([{ name: 'notes', directory }], 'SELECT position, note, category FROM notes ORDER BY position');
      expect(rows).toEqual([
        { position: 1, note: 'a', category: 'account' },
        { position: 3, note: 'c', category: 'account' },
        { position: 4, note: 'order', category: 'order' },
      ]);
      // handled already: nothing changes
      expect(await writer.redact([{ position: 1, category: 'account' }], 3)).toBe(0);
      expect(readManifest(directory)!.files).toEqual(after.files);
    } finally {
      await writer.close();
    }
    const reopened = await LakeWriter.open({ directory, columns: COLUMNS });
    expect(reopened.redactions).toBe(3);
    await reopened.close();
  });

  it('a crash before the manifest keeps the old files listed; one after it leaves the old files, and the next open deletes what is not listed', async () => {
    const directory = join(root, `unit-${++lakes}`);
    const writer = await LakeWriter.open({ directory, columns: COLUMNS });
    for (const position of [1, 2, 3]) writer.add({ position, day: '2026-12-01', category: 'account', values: { position, note: `n${position}` } });
    await writer.roll();
    const [original] = readManifest(directory)!.files;
    const kept = join(directory, ...original!.path.split('/'));
    const saved = join(root, `saved-${lakes}.parquet`);
    copyFileSync(kept, saved);
    await writer.redact([{ position: 2, category: 'account' }], 1);
    await writer.close();
    const after = readManifest(directory)!;
    // as a crash between the manifest and the deletion leaves it: the replaced file, and a staging directory of a later attempt
    copyFileSync(saved, kept);
    mkdirSync(join(directory, '_staging-redaction-r2'));
    writeFileSync(join(directory, '_staging-redaction-r2', 'part.parquet'), 'half written');
    const reopened = await LakeWriter.open({ directory, columns: COLUMNS });
    await reopened.close();
    expect(readManifest(directory)).toEqual(after);
    expect(existsSync(kept)).toBe(false);
    expect(existsSync(join(directory, '_staging-redaction-r2'))).toBe(false);
    expect(parquetOnDisk(directory)).toEqual(after.files.map((file) => file.path));
    const { rows } = await queryLake([{ name: 'notes', directory }], 'SELECT list(position ORDER BY position) AS p FROM notes');
    expect(rows).toEqual([{ p: [1, 3] }]);
  });

  it('a lake without a position column records the redactions it cannot remove', async () => {
    const directory = join(root, `unit-${++lakes}`);
    const writer = await LakeWriter.open({ directory, columns: [{ name: 'note', type: 'VARCHAR' }] });
    try {
      writer.add({ position: 1, day: '2026-12-01', category: 'account', values: { note: 'card 4111' } });
      await writer.roll();
      const files = readManifest(directory)!.files;
      expect(await writer.redact([{ position: 1, category: 'account' }], 1)).toBe(0);
      expect(readManifest(directory)).toMatchObject({ redactions: 1, files });
    } finally {
      await writer.close();
    }
  });
});

describe.each(backends)('a lake projection after a redaction on $name', ({ location }) => {
  it("loses the event's row from its files, through the manifest, while other rows remain and DuckDB reads the files", async () => {
    const store = await openStore(location(`lake-redaction-${++lakes}`));
    const directory = join(root, `lakes-${lakes}`);
    try {
      await store.append('account-1', [{ type: 'Deposited', data: { note: 'card 4111' } }, { type: 'Deposited', data: { note: 'fine' } }]);
      await store.append('order-1', [{ type: 'Placed', data: { note: 'order' } }]);
      const definition = { name: 'events', version: 1, sink: lakeSink({ directory, rollMs: 20 }), handlers: { '*': writeEvent } };
      const running = await runProjection(store, definition, { watchMs: 20 });
      try {
        await waitForProjection(store, 'events', 3, { timeoutMs: 20_000 });
        const lake = join(directory, 'events', 'g1');
        await until(() => readManifest(lake)?.position === 3, 'the files hold three events', 20_000);
        const before = readManifest(lake)!;
        const [secret] = (await store.readStream('account-1')).events;
        await redact(store, secret!.id, { reason: 'leak' });
        // the lake's writer follows the audit trail on its own: nothing tells it
        await until(() => readManifest(lake)?.redactions === 1, 'the lake applied the redaction', 20_000);
        const after = readManifest(lake)!;
        expect(after.position).toBe(before.position);
        const { rows } = await queryLake([{ name: 'events', directory: lake }], 'SELECT position, id, data::VARCHAR AS data FROM events ORDER BY position');
        expect(rows.map((row) => row['position'])).toEqual([2, 3]);
        expect(JSON.stringify(rows)).not.toContain('4111');
        for (const file of before.files) {
          const kept = after.files.some((listed) => listed.path === file.path);
          expect(existsSync(join(lake, ...file.path.split('/')))).toBe(kept);
        }
      } finally {
        await running.stop();
      }
    } finally {
      await store.close();
    }
  });
});
