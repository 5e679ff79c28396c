import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { replayView } from '../../src/time/replay-view.js';
import { backends } from '../support/backends.js';
import { refusal } from '../support/refusal.js';
import { appendOrders } from './order-fixtures.js';

describe.each(backends)('the view a replay reads a $name source through', ({ name: backend, location }) => {
  it('reads the log, a filter and a stream cut at `until`, ends there, and writes nothing', async () => {
    const source = await openStore(location(`view-source-${backend}`));
    const scratch = await openStore(location(`view-scratch-${backend}`));
    try {
      await appendOrders(source, 0, 6);
      await source.append('invoice-1', [{ type: 'Invoiced', data: {} }]);
      const head = await source.headPosition();
      const until = 5;
      const heard: string[] = [];
      const view = replayView(source, scratch, until, { reading: (position) => heard.push(`read after ${position}`), caughtUp: () => heard.push('caught up') });

      const all = await view.readAll({ limit: 100 });
      expect(all.events.map((event) => event.position)).toEqual([1, 2, 3, 4, 5]);
      expect(all.next).toBeNull();
      const pages = [await view.readAll({ limit: 3 }), await view.readAll({ after: 3, limit: 3 }), await view.readAll({ after: 5 })];
      expect(pages.map((page) => [page.events.map((event) => event.position), page.next])).toEqual([[[1, 2, 3], 3], [[4, 5], null], [[], null]]);
      expect((await view.readAll({ types: ['OrderShipped'] })).events.map((event) => event.stream)).toEqual(['order-1']);
      expect((await view.readAll({ categories: ['invoice'] })).events).toEqual([]);
      expect((await view.readStream('order-3')).events.map((event) => event.type)).toEqual(['OrderPlaced']);
      expect((await view.readStream('order-3', { direction: 'backward' })).events.map((event) => event.type)).toEqual(['OrderPlaced']);
      expect(await view.headPosition()).toBe(until);
      expect(await view.positionAt(new Date(Date.now() + 60_000))).toBe(until);
      expect(heard).toContain('read after 3');

      expect(await view.waitForPosition(until - 1)).toBe(until);
      expect(heard).not.toContain('caught up');
      expect(await view.waitForPosition(until, { timeoutMs: 20 })).toBe(until);
      expect(heard).toContain('caught up');
      const stopping = new AbortController();
      const waiting = view.waitForPosition(until, { signal: stopping.signal });
      stopping.abort(new Error('stopped'));
      await expect(waiting).rejects.toThrow('stopped');

      for (const write of [
        view.append('order-9', [{ type: 'OrderPlaced', data: {} }]),
        view.appendMany([{ stream: 'order-9', events: [{ type: 'OrderPlaced', data: {} }] }]),
        view.deleteStream('order-1'),
        view.tombstoneStream('order-1'),
        view.setStreamMetadata('order-1', { maxCount: 1 }),
        view.scavenge(),
      ]) {
        expect(await refusal(write)).toMatchObject({ code: 'INVALID_REPLAY_TARGET' });
      }
      expect(await source.headPosition()).toBe(head);
      expect(await scratch.headPosition()).toBe(0);
      expect(view.consumers).toBe(scratch.consumers);
      expect(view.sql).toBe(scratch.sql);
      expect(view.snapshots).toBeUndefined();
      expect(view.tokens).toBeUndefined();
    } finally {
      await source.close();
      await scratch.close();
    }
  });
});
