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

describe.each(backends)('tributary reverse, event and history on $name', ({ location }) => {
  it('reverses a mistaken deposit and draws the account and the transfer as causation trees', () => {
    const db = location('cli-corrections');
    const opened = JSON.parse(cli(['append', 'account-damon', '--db', db, '--type', 'AccountOpened', '--data', '{"owner":"Damon Allison"}']).stdout) as { events: { id: string }[] };
    const deposit = JSON.parse(cli(['append', 'account-damon', '--db', db, '--type', 'Deposited', '--data', '{"amount":800}']).stdout) as { events: { id: string }[] };
    const transfer = '{"type":"Debited","data":{"amount":50},"metadata":{"correlationId":"transfer-7731"}}\n';
    expect(cli(['append', 'account-damon', '--db', db], transfer).code).toBe(0);
    expect(cli(['append', 'account-ada', '--db', db], transfer.replace('Debited', 'Credited')).code).toBe(0);
    const depositId = deposit.events[0]!.id;

    const reversed = cli(['reverse', depositId, '--db', db, '--reason', 'keyed twice by the teller']);
    expect(reversed.stderr).toBe('');
    const result = JSON.parse(reversed.stdout) as { id: string; position: number; stream: string };
    expect([result.stream, result.position]).toEqual(['account-damon', 5]);
    const shown = JSON.parse(cli(['event', result.id, '--db', db]).stdout) as { type: string; metadata: Record<string, unknown> };
    expect([shown.type, shown.metadata['reverses'], shown.metadata['reason']]).toEqual(['DepositedReversed', depositId, 'keyed twice by the teller']);

    const tree = cli(['history', 'account-damon', '--db', db]).stdout.trimEnd().split('\n').map((line) => line.replace(/ \d{4}-\d\d-\d\dT[\d:.]+Z/, ''));
    expect(tree).toEqual([
      '#1 account-damon AccountOpened by -',
      '#2 account-damon Deposited by -',
      '  #5 account-damon DepositedReversed by - reverses #2',
      '#3 account-damon Debited by -',
    ]);
    const correlation = cli(['history', 'transfer-7731', '--db', db, '--limit', '1']).stdout.trimEnd().split('\n');
    expect(correlation[0]).toMatch(/^#3 \S+ account-damon Debited by - \(correlation\)$/);
    expect(correlation[1]).toBe('… more: tributary history "transfer-7731" --after 3');
    const json = JSON.parse(cli(['history', depositId, '--db', db, '--json']).stdout) as { entries: { kind: string; parent: string | null }[]; truncated: boolean };
    expect(json.entries.map((entry) => [entry.kind, entry.parent])).toEqual([['event', null], ['reversal', depositId]]);
    expect(opened.events[0]!.id).not.toBe(depositId);
  });

  it('refuses what the library refuses, with its codes', () => {
    const db = location('cli-corrections-refusals');
    const deposit = JSON.parse(cli(['append', 'account-1', '--db', db, '--type', 'Deposited', '--data', '{"amount":5}']).stdout) as { events: { id: string }[] };
    const id = deposit.events[0]!.id;
    // a usage error (INVALID_ARGUMENT) exits with 2, a refusal with 1
    const refusals: [string[], RegExp, number?][] = [
      [['reverse', '0193a5c2-7d1e-7c3a-9f00-1b2c3d4e5f60', '--reason', 'x'], /^tributary: EVENT_NOT_FOUND: /],
      [['reverse', id], /^tributary: INVALID_CORRECTION: /],
      [['reverse', id, '--reason', ' '], /^tributary: INVALID_CORRECTION: /],
      [['reverse', id, '--reason', 'x', '--type', ''], /^tributary: INVALID_CORRECTION: /],
      [['event', 'not-an-id'], /^tributary: EVENT_NOT_FOUND: /],
      [['history', 'account-1', '--limit', '0'], /^tributary: INVALID_ARGUMENT: /, 2],
    ];
    for (const [args, error, code = 1] of refusals) {
      const refused = cli([...args, '--db', db]);
      expect(refused.code, args.join(' ')).toBe(code);
      expect(refused.stderr).toMatch(error);
    }
    expect(JSON.parse(cli(['read', 'account-1', '--db', db, '--json']).stdout)).toMatchObject({ events: [{ type: 'Deposited' }], next: null });
  });
});
