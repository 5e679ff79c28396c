import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { dumpStore } from '../support/store-dump.js';
import { fillForCopy } from '../server/copy-fixture.js';
import { cliAsync } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-mirror-http-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));


describe('tributary mirror --from http://…', () => {
  it('copies a store through its server with a read:* token, exactly, and a token of one team is refused', async () => {
    const source = openSqliteStore({ path: join(folder, 'source.db') });
    const reader = mintToken('mirror', ['read:*']);
    const narrow = mintToken('orders', ['read:order']);
    await fillForCopy(source);
    await source.tokens.create(reader.record);
    await source.tokens.create(narrow.record);
    const app = await buildServer({ store: source, open: false });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const to = join(folder, 'target.db');

      const refused = await cliAsync(['mirror', '--from', url, '--to', join(folder, 'refused.db'), '--once', '--json', '--token', narrow.token]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('FORBIDDEN');

      const copied = await cliAsync(['mirror', '--from', url, '--to', to, '--once', '--json', '--batch', '3', '--token', reader.token]);
      expect(copied.stderr).toBe('');
      expect(copied.code).toBe(0);
      const lines = copied.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.at(-1)).toMatchObject({ stopped: true, position: await source.headPosition() });

      const target = openSqliteStore({ path: to });
      try {
        expect(await dumpStore(target)).toEqual(await dumpStore(source));
        expect((await target.copyTarget.copyState())?.role).toBe('mirror');
      } finally {
        await target.close();
      }
    } finally {
      await app.close();
      await source.close();
    }
  });
});
