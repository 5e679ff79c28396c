import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { subscribeToAll } from '../../src/subscriptions/log-subscription.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { backends, scratch } from '../support/backends.js';
import { killChildren, readHandled, startConsumerChild, stopChild, until } from './processes.js';

async function appendSpread(store: EventStore, from: number, count: number, streams: number): Promise<void> {
  for (let i = from; i < from + count; i += 10) {
    await store.append(`crash-${(i / 10) % streams}`, Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { i: i + k } })));
  }
}

describe.each(backends)('consumer processes on $name', ({ name, location: locationFor }) => {
  it('a consumer killed with SIGKILL and restarted loses nothing and resumes from its stored checkpoint', async () => {
    const location = locationFor('crash');
    const store = await openStore(location);
    try {
      await appendSpread(store, 0, 3000, 30);
      const first = join(scratch, `${name}-first.ndjson`);
      const child = await startConsumerChild({ location, name: 'crashy', out: first, checkpointEvents: 50, workMicros: 300 });
      await until(() => readHandled(first).length >= 1000, 'the first run has handled 1000 events', 20_000);
      await stopChild(child, 'SIGKILL');

      const checkpoint = (await store.consumers.get('crashy'))!.partitions[0]!.checkpoint;
      const firstRun = readHandled(first).map((line) => line.p);
      expect(checkpoint).toBeGreaterThan(0);
      expect(checkpoint).toBeLessThanOrEqual(firstRun.at(-1)!);
      expect(firstRun.slice(0, checkpoint)).toEqual(Array.from({ length: checkpoint }, (_, i) => i + 1));

      const second = join(scratch, `${name}-second.ndjson`);
      const restarted = await startConsumerChild({ location, name: 'crashy', out: second, checkpointEvents: 50 });
      await appendSpread(store, 3000, 500, 30);
      await until(async () => (await consumerStatus(store, ['crashy']))[0]?.checkpoint === 3500, 'the restarted consumer saves 3500', 30_000);
      await stopChild(restarted, 'SIGTERM');
      expect(restarted.exitCode).toBe(0);

      const secondRun = readHandled(second).map((line) => line.p);
      expect(secondRun).toEqual(Array.from({ length: 3500 - checkpoint }, (_, i) => checkpoint + 1 + i));
      expect(new Set([...firstRun, ...secondRun]).size).toBe(3500);
    } finally {
      await killChildren();
      await store.close();
    }
  }, 90_000);

  it('a waiter wakes for each commit another process makes, the last one included', async () => {
    const location = locationFor('wake');
    const store = await openStore(location);
    try {
      await store.append('wake-0', [{ type: 'Opened', data: {} }]);
      const appender = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'appender-child.ts'), JSON.stringify({ location, count: 30, streams: 3 })], {
        stdio: 'inherit',
      });
      const exited = new Promise<number | null>((resolve) => appender.once('exit', resolve));
      let head = 1;
      while (head < 31) {
        // a missed signal leaves the wait hanging until the abort, which fails the test
        const next = await store.waitForPosition(head, { timeoutMs: 60_000, signal: AbortSignal.timeout(10_000) });
        expect(next).toBeGreaterThan(head);
        head = next;
      }
      expect(await exited).toBe(0);
    } finally {
      await killChildren();
      await store.close();
    }
  }, 60_000);

  it('events appended by another process while a subscriber switches from history to live arrive once each, in order', async () => {
    const location = locationFor('seam');
    const store = await openStore(location);
    try {
      await appendSpread(store, 0, 2000, 20);
      const appender = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'appender-child.ts'), JSON.stringify({ location, count: 600, streams: 7 })], {
        stdio: 'inherit',
      });
      const exited = new Promise<number | null>((resolve) => appender.once('exit', resolve));
      const positions: number[] = [];
      let caughtUp = 0;
      // small pages make the history long enough for the appender to be writing through the switch
      for await (const message of subscribeToAll(store, { pageSize: 20 })) {
        if (message.kind === 'caught-up') caughtUp++;
        else positions.push(message.event.position);
        if (positions.length === 2600) break;
      }
      expect(await exited).toBe(0);
      expect(caughtUp).toBe(1);
      expect(positions).toEqual(Array.from({ length: 2600 }, (_, i) => i + 1));
    } finally {
      await killChildren();
      await store.close();
    }
  }, 90_000);
});
