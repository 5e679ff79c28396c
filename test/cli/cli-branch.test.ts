import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { buildServer } from '../../src/server/server.js';
import { backends, scratch } from '../support/backends.js';
import { listening } from '../server/support.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');

function cli(args: string[], input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const types = (ndjson: string) => ndjson.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type);

describe.each(backends)('tributary branch on $name', ({ location }) => {
  it('creates, appends to, lists, shows, reads and deletes a branch, leaving the real log alone', () => {
    const db = location('cli-branch');
    cli(['append', 'order-1', '--db', db], '{"type":"Placed","data":{}}\n{"type":"Shipped","data":{}}\n');
    const created = cli(['branch', 'create', 'late', '--at', '1', '--db', db]);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'late', forkPosition: 1, events: 0, createdBy: null });
    const conflict = cli(['branch', 'append', 'late', 'order-1', '--expected-revision', '1', '--db', db], '{"type":"Delayed","data":{"days":1}}\n');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^tributary: WRONG_EXPECTED_REVISION: /);
    const appended = cli(['branch', 'append', 'late', 'order-1', '--expected-revision', '0', '--db', db], '{"type":"Delayed","data":{"days":1}}\n{"type":"Shipped","data":{}}\n');
    expect(appended.stderr).toBe('');
    expect(JSON.parse(appended.stdout)).toMatchObject({ stream: 'order-1', nextExpectedRevision: 2, position: 3 });
    expect(types(cli(['read', 'order-1', '--branch', 'late', '--db', db]).stdout)).toEqual(['Placed', 'Delayed', 'Shipped']);
    expect(types(cli(['read-all', '--branch', 'late', '--db', db]).stdout)).toEqual(['Placed', 'Delayed', 'Shipped']);
    expect(types(cli(['tail', '--all', '--after', '0', '--no-follow', '--branch', 'late', '--db', db]).stdout)).toEqual(['Placed', 'Delayed', 'Shipped']);
    expect(types(cli(['read', 'order-1', '--db', db]).stdout)).toEqual(['Placed', 'Shipped']);
    expect(cli(['branch', 'list', '--db', db]).stdout).toBe('late\tfork 1\t2 events\torder\t-\n');
    expect(JSON.parse(cli(['branch', 'list', '--json', '--db', db]).stdout)).toMatchObject([{ name: 'late', events: 2 }]);
    expect(JSON.parse(cli(['branch', 'show', 'late', '--db', db]).stdout)).toMatchObject({ name: 'late', forkPosition: 1, categories: ['order'] });
    expect(cli(['branch', 'delete', 'late', '--db', db]).stdout).toBe('deleted late\n');
    expect(cli(['branch', 'list', '--db', db]).stdout).toBe('');
    expect(cli(['read', 'order-1', '--branch', 'late', '--db', db]).stderr).toMatch(/^tributary: BRANCH_NOT_FOUND: /);
  });

  it('refuses bad names, a missing branch and an unknown action with coded errors, writing nothing', () => {
    const db = location('cli-branch-refusals');
    cli(['append', 'order-1', '--db', db, '--type', 'Placed', '--data', '{}']);
    expect(cli(['branch', 'create', 'Bad Name', '--db', db]).stderr).toMatch(/^tributary: INVALID_BRANCH_NAME: /);
    expect(cli(['branch', 'create', 'x', '--at', '9', '--db', db]).stderr).toMatch(/^tributary: INVALID_AS_OF: /);
    expect(cli(['branch', 'append', 'missing', 'order-1', '--db', db], '{"type":"X","data":{}}\n').stderr).toMatch(/^tributary: BRANCH_NOT_FOUND: /);
    expect(cli(['branch', 'show', 'missing', '--db', db]).stderr).toMatch(/^tributary: BRANCH_NOT_FOUND: /);
    expect(cli(['branch', 'fork', '--db', db]).stderr).toMatch(/^tributary: INVALID_ARGUMENT: /);
    expect(cli(['branch', 'create', 'x', '--db', db]).code).toBe(0);
    expect(cli(['branch', 'create', 'x', '--db', db]).stderr).toMatch(/^tributary: BRANCH_EXISTS: /);
    expect(cli(['read-all', '--db', db]).stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('tributary branch through a server (--url)', () => {
  it('creates, appends to, reads and deletes a branch of the server', async () => {
    const store = openSqliteStore({ path: resolve(scratch, 'served.db') });
    const app = await buildServer({ store, open: true });
    try {
      const url = await listening(app);
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      // spawnSync would block the server's event loop: the CLI runs asynchronously here
      const run = (args: string[], input = '') => cliAsync([...args, '--url', url], input);
      expect(JSON.parse((await run(['branch', 'create', 'w', '--at', '1'])).stdout)).toMatchObject({ name: 'w', forkPosition: 1 });
      expect(JSON.parse((await run(['branch', 'append', 'w', 'order-1', '--expected-revision', '0'], '{"type":"Delayed","data":{}}\n')).stdout)).toMatchObject({ position: 2 });
      expect(types((await run(['read', 'order-1', '--branch', 'w'])).stdout)).toEqual(['Placed', 'Delayed']);
      expect((await run(['branch', 'list'])).stdout).toBe('w\tfork 1\t1 events\torder\t-\n');
      expect((await run(['branch', 'delete', 'w'])).stdout).toBe('deleted w\n');
      expect((await store.readAll()).events.map((event) => event.type)).toEqual(['Placed']);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

function cliAsync(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
