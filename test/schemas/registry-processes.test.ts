import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { database } from '../support/backends.js';

// the child appends { orderId: 7 }: the first version refuses it, the second accepts it
const STRING_ID = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };
const ANY_ID = { type: 'object', required: ['orderId'] };

it.runIf(database !== undefined || process.env['CI'] === 'true')(
  'a process on the same PostgreSQL database enforces a new mode, then a newly registered version, each within a second',
  async () => {
    const location = `${database!.url}?schema=registry_processes`;
    const store = await openStore(location);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'appender-child.ts'), JSON.stringify({ location })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      /** When the child first reports `outcome` (its own clock: the same machine's). */
      const firstOutcome = async (outcome: string): Promise<number> => {
        for (let line = await lines.next(); !line.done; line = await lines.next()) {
          const [at, seen] = String(line.value).split(' ');
          if (seen === outcome) return Number(at);
        }
        throw new Error(`the child ended before it reported ${outcome}`);
      };
      expect((await lines.next()).value).toBe('ready');
      await firstOutcome('stored');
      await store.schemas!.register('OrderPlaced', STRING_ID);
      await store.schemas!.setMode('order', 'enforce');
      const enforcedAt = Date.now();
      expect((await firstOutcome('SCHEMA_VALIDATION_FAILED')) - enforcedAt).toBeLessThan(1_000);
      await store.schemas!.setCompatibility('OrderPlaced', 'NONE');
      await store.schemas!.register('OrderPlaced', ANY_ID);
      const registeredAt = Date.now();
      expect((await firstOutcome('stored')) - registeredAt).toBeLessThan(1_000);
      // what the child stored since names the version it was checked against
      const stored = await store.readStream('order-1', { raw: true, direction: 'backward', limit: 1 });
      expect(stored.events[0]!.metadata).toEqual({ schemaVersion: 2 });
    } finally {
      child.kill('SIGKILL');
      await store.close();
    }
  },
  30_000,
);
