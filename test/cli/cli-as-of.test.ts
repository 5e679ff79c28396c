import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');

function cli(args: string[], input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, TRIBUTARY_DB: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function events(text: string): { type: string; position: number; recordedAt: string }[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; position: number; recordedAt: string });
}

describe.each(backends)('tributary read and read-all --as-of on $name', ({ location }) => {
  it('reads a stream and the log as of a time or a position, and refuses a bad point with INVALID_AS_OF', () => {
    const db = location('cli-as-of');
    expect(cli(['append', 'account-12345', '--db', db], '{"type":"Deposited","data":{"amount":100}}\n').code).toBe(0);
    expect(cli(['append', 'account-777', '--db', db], '{"type":"Opened","data":{}}\n').code).toBe(0);
    expect(cli(['append', 'account-12345', '--db', db], '{"type":"Withdrawn","data":{"amount":30}}\n').code).toBe(0);
    const all = events(cli(['read-all', '--db', db]).stdout);
    expect(all.map((event) => event.position)).toEqual([1, 2, 3]);

    const byTime = cli(['read', 'account-12345', '--db', db, '--as-of', all[1]!.recordedAt]);
    expect(byTime.stderr).toBe('');
    expect(events(byTime.stdout).map((event) => event.type)).toEqual(['Deposited']);
    expect(events(cli(['read', 'account-12345', '--db', db, '--as-of', '3', '--backward']).stdout).map((event) => event.type)).toEqual(['Withdrawn', 'Deposited']);
    expect(events(cli(['read-all', '--db', db, '--as-of', '2']).stdout).map((event) => event.position)).toEqual([1, 2]);
    expect(JSON.parse(cli(['read-all', '--db', db, '--as-of', all[0]!.recordedAt, '--json']).stdout)).toMatchObject({ events: [{ position: 1 }], next: null });

    const before = cli(['read', 'account-777', '--db', db, '--as-of', '1']);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/^tributary: STREAM_NOT_FOUND: /);
    for (const bad of ['0', '4', 'yesterday', '2026-02-30']) {
      for (const args of [['read', 'account-12345'], ['read-all']]) {
        const refused = cli([...args, '--db', db, '--as-of', bad]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^tributary: INVALID_AS_OF: /);
      }
    }
  });
});
