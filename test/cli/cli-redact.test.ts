import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { REDACTIONS_STREAM } from '../../src/store/audit.js';
import { backends, scratch } from '../support/backends.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: scratch, env: { ...process.env, TRIBUTARY_DB: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(backends)('tributary redact on $name', ({ location }) => {
  it('redacts once, answers the first marker again, and refuses what the library refuses', async () => {
    const db = location('cli-redact');
    const store = await openStore(db);
    try {
      await store.append('account-1', [{ type: 'Deposited', data: { note: 'card 4111' } }]);
      const [secret] = (await store.readStream('account-1')).events;
      const first = cli(['redact', secret!.id, '--reason', 'card number in a note', '--by', 'dpo', '--db', db]);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const answer = JSON.parse(first.stdout) as { event: { id: string; position: number; data: unknown }; marker: unknown; alreadyRedacted: boolean };
      expect(answer).toMatchObject({ alreadyRedacted: false, marker: { redacted: true, reason: 'card number in a note', by: 'dpo' }, event: { id: secret!.id, position: 1 } });
      expect(answer.event.data).toEqual(answer.marker);
      const again = cli(['redact', secret!.id, '--reason', 'again', '--db', db]);
      expect(JSON.parse(again.stdout)).toMatchObject({ alreadyRedacted: true, marker: answer.marker });
      const read = cli(['read', 'account-1', '--db', db]);
      expect(read.stdout).not.toContain('4111');
      expect((await store.readStream(REDACTIONS_STREAM)).events).toHaveLength(1);
      const refusals: [string[], string][] = [
        [[secret!.id, '--db', db], 'INVALID_CORRECTION'],
        [[secret!.id, '--reason', '', '--db', db], 'INVALID_CORRECTION'],
        [['0190f1c2-0000-7000-8000-000000000000', '--reason', 'x', '--db', db], 'EVENT_NOT_FOUND'],
        [['--reason', 'x', '--db', db], 'INVALID_ARGUMENT'],
      ];
      for (const [args, code] of refusals) {
        const refused = cli(['redact', ...args]);
        expect(refused.code, args.join(' ')).not.toBe(0);
        expect(refused.stderr, args.join(' ')).toContain(code);
      }
    } finally {
      await store.close();
    }
  });
});
