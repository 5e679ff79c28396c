import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { throwawayDatabase } from '../support/postgres.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const database = await throwawayDatabase();
afterAll(async () => database?.drop());

function cli(args: string[], env: Record<string, string> = {}, input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(database === undefined)('tributary CLI on PostgreSQL', () => {
  it('migrates, appends and reads with --db postgres://…?schema=…, and with TRIBUTARY_DB', () => {
    const db = `${database!.url}?schema=cli_one`;
    expect(cli(['migrate', '--db', db]).stdout).toMatch(/schema of postgres:\/\/.* is up to date/);
    const appended = cli(['append', 'account-1', '--db', db, '--expected-revision', 'no_stream'], {}, '{"type":"Opened","data":{"owner":"D"}}\n{"type":"Deposited","data":{"amount":5}}\n');
    expect(appended.stderr).toBe('');
    expect(JSON.parse(appended.stdout)).toMatchObject({ nextExpectedRevision: 1, position: 2 });
    const read = cli(['read', 'account-1'], { TRIBUTARY_DB: db });
    expect(read.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['Opened', 'Deposited']);
    expect(cli(['streams', '--db', db]).stdout).toBe('account-1\t1\n');
    const conflict = cli(['append', 'account-1', '--db', db, '--type', 'X', '--data', '{}', '--expected-revision', '0']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^tributary: WRONG_EXPECTED_REVISION: .*"expected":0.*"actual":1/);
    // another schema is another store
    expect(cli(['read', 'account-1', '--db', `${database!.url}?schema=cli_two`]).stderr).toMatch(/STREAM_NOT_FOUND/);
  });

  it('reports an unreachable server with a retriable coded error, without the password', () => {
    const result = cli(['read', 'account-1', '--db', 'postgres://someone:hunter2@127.0.0.1:1/nowhere']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tributary: STORE_UNAVAILABLE: /);
    expect(result.stderr).not.toContain('hunter2');
  });
});
