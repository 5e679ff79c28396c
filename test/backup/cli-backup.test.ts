import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { throwawayDatabase } from '../support/postgres.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-backup-'));
const database = await throwawayDatabase();
afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await database?.drop();
});

function cli(args: string[], input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: folder, env: { ...process.env, TRIBUTARY_DB: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const events = (count: number, from = 0) => Array.from({ length: count }, (_, i) => JSON.stringify({ type: 'Noted', data: { n: from + i, text: 'é "q" 😀' } })).join('\n');

describe('tributary backup and restore', () => {
  it('backs up a SQLite store, restores it into PostgreSQL and SQLite, then an increment on top; refusals exit 1 or 2 with the code and facts', () => {
    const db = join(folder, 'source.db');
    expect(cli(['append', 'order-1', '--db', db], events(250)).code).toBe(0);
    expect(cli(['append', 'order-2', '--db', db], events(5)).code).toBe(0);

    const full = join(folder, 'full.tbk');
    const backup = cli(['backup', '--db', db, '--to', full]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^full backup [0-9a-f-]{36} of .*source\.db to .*full\.tbk: positions 0–255, 255 events, 0 stream changes, .* MB in .* MB, .* s\n$/);
    expect(backup.stderr).toMatch(/\[#+\] 100%/);

    const pg = `${database!.url}?schema=restored`;
    const restore = cli(['restore', full, '--to', pg, '--json']);
    expect(restore.stderr).toMatch(/\[#+\] 100%/);
    expect(restore.code).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ since: null, events: 255, checkpoint: { position: 255 } });
    expect(cli(['read-all', '--db', pg]).stdout).toBe(cli(['read-all', '--db', db]).stdout);

    const lite = join(folder, 'restored.db');
    expect(cli(['restore', full, '--to', lite]).stdout).toMatch(/^restored full backup [0-9a-f-]{36} into .*restored\.db: 255 events, 0 stream changes, now at position 255, .* s\n$/);

    expect(cli(['append', 'order-2', '--db', db], events(3, 5)).code).toBe(0);
    const increment = join(folder, 'increment.tbk');
    const next = cli(['backup', '--db', db, '--to', increment, '--since', full, '--json']);
    expect(next.code).toBe(0);
    const summary = JSON.parse(next.stdout) as { since: string; events: number; from: { position: number } };
    expect(summary).toMatchObject({ events: 3, from: { position: 255 }, until: { position: 258 } });
    expect(summary.since).toBe(/^full backup ([0-9a-f-]{36})/.exec(backup.stdout)![1]);
    for (const target of [pg, lite]) {
      expect(cli(['restore', increment, '--to', target]).code).toBe(0);
      expect(cli(['read-all', '--db', target]).stdout).toBe(cli(['read-all', '--db', db]).stdout);
    }

    // applied twice, it finds every batch written; the full backup onto the store past it is the wrong base
    expect(cli(['restore', increment, '--to', lite]).stdout).toMatch(/: 0 events, 0 stream changes, now at position 258/);
    const wrong = cli(['restore', full, '--to', lite]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^tributary: MIRROR_TARGET_REFUSED: .*\{"reason":"wrong-base","expected":\{"position":0,"change":0\},"found":\{"position":258,"change":0\}\}\n$/);

    // a full backup into a store with events of its own, or into its own source
    const other = join(folder, 'other.db');
    expect(cli(['append', 'order-9', '--db', other], events(1)).code).toBe(0);
    expect(cli(['restore', full, '--to', other]).stderr).toMatch(/^tributary: MIRROR_TARGET_REFUSED: .*"reason":"not-empty"/);
    expect(cli(['restore', full, '--to', db]).stderr).toMatch(/^tributary: MIRROR_TARGET_REFUSED: .*"reason":"same-store"/);

    // a cut file: refused before the target is even created
    const cut = join(folder, 'cut.tbk');
    writeFileSync(cut, readFileSync(full).subarray(0, 200));
    const fresh = join(folder, 'never.db');
    const corrupt = cli(['restore', cut, '--to', fresh]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/^tributary: BACKUP_CORRUPT: .*\{"file":".*cut\.tbk","reason":"truncated"\}\n$/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('usage mistakes exit 2; a missing store or file exits with its code', () => {
    expect(cli(['backup', '--db', join(folder, 'x.db')]).stderr).toMatch(/^tributary: INVALID_ARGUMENT: --to is required/);
    expect(cli(['backup', '--db', join(folder, 'x.db')]).code).toBe(2);
    const missing = cli(['backup', '--db', join(folder, 'missing.db'), '--to', join(folder, 'm.tbk')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tributary: DATABASE_NOT_FOUND/);
    expect(existsSync(join(folder, 'missing.db'))).toBe(false);
    expect(cli(['restore', join(folder, 'none.tbk')]).code).toBe(2);
    expect(cli(['restore', join(folder, 'none.tbk'), '--to', join(folder, 'y.db')]).stderr).toMatch(/^tributary: INVALID_ARGUMENT: backup file .*none\.tbk does not exist/);
    expect(cli(['restore', '--to', join(folder, 'y.db')]).stderr).toMatch(/^tributary: INVALID_ARGUMENT: backup file is required/);
  });
});
