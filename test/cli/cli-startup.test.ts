import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-startup-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function cli(args: string[], input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: folder, input, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command to its end, killing it after `ms`: answers its exit code, stderr and how long it ran. */
function runFor(args: string[], ms: number): Promise<{ code: number | null; stderr: string; elapsed: number; killed: boolean }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, ms);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, elapsed: performance.now() - started, killed });
    }),
  );
}

describe('tributary serve start-up failures', () => {
  it('a port another process holds: ADDRESS_IN_USE and exit code 1 at once, nothing left running', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const { port } = holder.address() as { port: number };
    try {
      // before the fix it logged INTERNAL and kept running, warning every second: the 20 s kill would fire
      const result = await runFor(['serve', '--port', String(port), '--db', join(folder, 'taken.db')], 20_000);
      expect(result.killed).toBe(false);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^tributary: ADDRESS_IN_USE: cannot listen on 127\.0\.0\.1:\d+: .*--port/);
      expect(result.stderr).toContain(`"port":${port}`);
      // the time is mostly Node starting on a busy machine; what matters is that it ends by itself
      expect(result.elapsed).toBeLessThan(10_000);
    } finally {
      await new Promise((done) => holder.close(done));
    }
  });

  it('a port out of range is a usage mistake (exit code 2), refused before the database is opened', () => {
    const db = join(folder, 'range.db');
    const result = cli(['serve', '--port', '70000', '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^tributary: INVALID_ARGUMENT: --port must be a port from 0 to 65535, got 70000/);
    expect(existsSync(db)).toBe(false);
  });
});

describe('commands that only read, on a SQLite path that does not exist', () => {
  const readers: [string, string[]][] = [
    ['read', ['read', 'order-1']],
    ['read-all', ['read-all']],
    ['streams', ['streams']],
    ['categories', ['categories']],
    ['tail', ['tail', '--all', '--no-follow']],
    ['consumers', ['consumers']],
    ['parked', ['parked', 'mailer']],
    ['search', ['search', 'catalog', 'boots']],
    ['lake query', ['lake', 'query', 'SELECT 1']],
    ['projections', ['projections']],
    ['tokens list', ['tokens', 'list']],
  ];

  it.each(readers)('%s answers DATABASE_NOT_FOUND and creates no file, side file or folder', (_name, args) => {
    const parent = join(folder, `missing-${args[0]}-${args.length}`);
    const db = join(parent, 'nowhere.db');
    const result = cli([...args, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tributary: DATABASE_NOT_FOUND: no database at .*nowhere\.db: .*append, migrate or serve creates it/);
    // the database, its -wal, -shm and -signal files, and the folder they would live in
    expect(existsSync(parent)).toBe(false);
  });

  it('a missing file beside others creates no side file either', () => {
    const db = join(folder, 'beside.db');
    expect(cli(['streams', '--db', db]).stderr).toContain('DATABASE_NOT_FOUND');
    expect(readdirSync(folder).filter((name) => name.startsWith('beside'))).toEqual([]);
  });

  it('append, migrate and tokens create still create the database', () => {
    const appended = join(folder, 'new', 'appended.db');
    expect(cli(['append', 'order-1', '--type', 'Placed', '--data', '{}', '--db', appended]).code).toBe(0);
    expect(cli(['read', 'order-1', '--db', appended]).stdout).toContain('"Placed"');
    const migrated = join(folder, 'migrated.db');
    expect(cli(['migrate', '--db', migrated]).code).toBe(0);
    expect(existsSync(migrated)).toBe(true);
    const tokens = join(folder, 'tokens.db');
    expect(cli(['tokens', 'create', '--name', 'ops', '--scope', 'admin', '--db', tokens]).code).toBe(0);
    expect(cli(['tokens', 'list', '--db', tokens]).stdout).toContain('ops');
  });
});
