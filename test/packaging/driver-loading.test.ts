import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// runs the built package (npm test builds it first), imported by its own name, so package.json `exports` is what resolves
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/cli/main.js');
const DRIVERS = ['better-sqlite3', 'pg', '@duckdb/node-api', 'fastify'];

// every driver is CommonJS, so once loaded it is in the require cache, whether import() or require() loaded it
const REPORT_AT_EXIT = `data:text/javascript,${encodeURIComponent(`
import { createRequire } from 'node:module';
import { writeSync } from 'node:fs';
process.on('exit', () => {
  const names = Object.keys(createRequire('/').cache).map((path) => path.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//)?.[1]);
  writeSync(2, 'loaded:' + JSON.stringify([...new Set(names)]) + '\\n');
});`)}`;

const scratch = mkdtempSync(join(tmpdir(), 'tributary-loading-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The drivers a Node process loaded in any of its threads, from start to exit, running `args`. */
function driversLoaded(args: string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', REPORT_AT_EXIT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  // one line per thread that ran (the SQLite store checkpoints from a worker thread), their union is the process's
  const lines = [...result.stderr.matchAll(/^loaded:(.*)$/gm)].map((match) => JSON.parse(match[1]!) as string[]);
  expect(lines.length, result.stderr).toBeGreaterThan(0);
  return [...new Set(lines.flat())].filter((name) => DRIVERS.includes(name)).sort();
}

function importing(code: string): string[] {
  return driversLoaded(['--input-type=module', '-e', code]);
}

describe('drivers load when used, not when the package is imported', () => {
  it('importing tributary, tributary/lake or tributary/testing loads no driver, DuckDB or fastify', () => {
    expect(importing(`await import('tributary'); await import('tributary/lake'); await import('tributary/testing');`)).toEqual([]);
  });

  it('each backend subpath loads its own driver, and tributary/server fastify', () => {
    expect(importing(`await import('tributary/sqlite');`)).toEqual(['better-sqlite3']);
    expect(importing(`await import('tributary/postgres');`)).toEqual(['pg']);
    expect(importing(`await import('tributary/server');`)).toEqual(['fastify']);
  });

  it('openStore loads the one backend its location needs: SQLite for a file', () => {
    const db = join(scratch, 'open.db');
    const code = `
      const { openStore } = await import('tributary');
      const store = await openStore(${JSON.stringify(db)});
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      await store.close();`;
    expect(importing(code)).toEqual(['better-sqlite3']);
  });

  it('DuckDB loads when a lake is fed', () => {
    const db = join(scratch, 'lake.db');
    const code = `
      const { openStore, runProjection, waitForProjection } = await import('tributary');
      const { lakeSink, writeEvent } = await import('tributary/lake');
      const store = await openStore(${JSON.stringify(db)});
      const { position } = await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const sink = lakeSink({ directory: ${JSON.stringify(join(scratch, 'lake'))}, rollRows: 1 });
      const lake = await runProjection(store, { name: 'orders', version: 1, sink, handlers: { '*': writeEvent } });
      await waitForProjection(store, 'orders', position);
      await lake.stop();
      await store.close();`;
    expect(importing(code)).toEqual(['@duckdb/node-api', 'better-sqlite3']);
  });

  it('tributary read on a SQLite file loads better-sqlite3 alone', () => {
    const db = join(scratch, 'cli.db');
    expect(driversLoaded([BIN, 'append', 'order-1', '--db', db, '--type', 'Placed', '--data', '{}'])).toEqual(['better-sqlite3']);
    expect(driversLoaded([BIN, 'read', 'order-1', '--db', db])).toEqual(['better-sqlite3']);
  });
});
