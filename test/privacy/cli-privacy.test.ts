import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-privacy-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function cli(args: string[], db: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: folder, env: { ...process.env, TRIBUTARY_DB: db } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

it('tributary privacy declare, show and list, and tributary forget, with the library’s codes for bad input', async () => {
  const db = join(folder, 'privacy.db');
  const declared = cli(['privacy', 'declare', 'customer', '--subject', 'data.customerId', '--field', 'data.email', '--json'], db);
  expect(declared, declared.stderr).toMatchObject({ code: 0 });
  expect(JSON.parse(declared.stdout)).toMatchObject({ category: 'customer', subject: 'data.customerId', fields: ['data.email'], unusedPaths: ['data.customerId', 'data.email'] });
  expect(cli(['privacy', 'show', 'customer'], db).stdout).toBe('customer\tdata.customerId\tdata.email\n');
  expect(cli(['privacy', 'list'], db).stdout).toBe('customer\tdata.customerId\tdata.email\n');
  const bad = cli(['privacy', 'declare', 'customer', '--subject', 'customerId', '--field', 'data.email'], db);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('INVALID_PERSONAL_FIELDS');

  const store = await openStore(db);
  try {
    await store.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: 'ada@example.com' } }]);
  } finally {
    await store.close();
  }
  expect(cli(['forget', 'ada', '--reason', 'erasure request'], db).stdout).toMatch(/^FORGOTTEN ada/);
  expect(cli(['forget', 'ada'], db).stdout).toMatch(/^NO_KEY ada/);
  const read = cli(['read', 'customer-ada'], db);
  expect(read.stdout).toContain('"email":{"$personal":"forgotten"}');
  expect(read.stdout).not.toContain('ada@example.com');
});
