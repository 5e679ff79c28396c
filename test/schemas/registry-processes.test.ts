import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { database } from '../support/backends.js';

const ORDER = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };

it.runIf(database !== undefined || process.env['CI'] === 'true')(
  'a process on the same PostgreSQL database enforces a newly registered version and mode within a second',
  async () => {
    const location = `${database!.url}?schema=registry_processes`;
    const store = await openStore(location);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'appender-child.ts'), JSON.stringify({ location })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    // the child is storing events the schema below refuses
    expect(String((await lines.next()).value).endsWith(' stored')).toBe(true);
    await store.schemas!.register('OrderPlaced', ORDER);
    await store.schemas!.setMode('order', 'enforce');
    const enforcedAt = Date.now();
    let refusedAt: number | undefined;
    for (let line = await lines.next(); !line.done; line = await lines.next()) {
      const [at, outcome] = String(line.value).split(' ');
      if (outcome === 'stored') continue;
      expect(outcome).toBe('SCHEMA_VALIDATION_FAILED');
      refusedAt = Number(at);
      break;
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(refusedAt).toBeDefined();
    expect(refusedAt! - enforcedAt).toBeLessThan(1_000);
    // everything the child stored went in before the mode was set
    const stored = await store.readStream('order-1', { raw: true, limit: 10_000 });
    expect(stored.events.every((event) => event.recordedAtMillis <= enforcedAt + 1_000)).toBe(true);
    await store.close();
  },
  30_000,
);
