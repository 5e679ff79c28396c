import { describe, expect, it } from 'vitest';
import { event, expectCode, withStore, type StoreHarness } from './harness.js';

export function waitContract(harness: StoreHarness): void {
  describe('waiting for new events', () => {
    it('answers at once when the head is already beyond the position', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A'), event('B')]);
        expect(await store.waitForPosition(1, { timeoutMs: 10_000 })).toBe(2);
      });
    });

    it('wakes when this handle appends', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A')]);
        const waiting = store.waitForPosition(1, { timeoutMs: 10_000 });
        setTimeout(() => void store.append('account-1', [event('B'), event('C')]), 20);
        expect(await waiting).toBe(3);
      });
    });

    it('wakes when another handle on the same database appends', async () => {
      await withStore(harness, async (store) => {
        const other = await harness.openAnother(store);
        try {
          const started = Date.now();
          const waiting = store.waitForPosition(0, { timeoutMs: 10_000 });
          setTimeout(() => void other.append('order-1', [event('Placed')]), 50);
          expect(await waiting).toBe(1);
          expect(Date.now() - started).toBeLessThan(5_000);
        } finally {
          await other.close();
        }
      });
    });

    it('gives up after the timeout with the head as it is', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A')]);
        const started = Date.now();
        expect(await store.waitForPosition(1, { timeoutMs: 100 })).toBe(1);
        expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      });
    });

    it('rejects when aborted, and refuses a bad position', async () => {
      await withStore(harness, async (store) => {
        const controller = new AbortController();
        const waiting = store.waitForPosition(0, { signal: controller.signal });
        controller.abort(new Error('stop waiting'));
        await expect(waiting).rejects.toThrow('stop waiting');
        await expectCode(store.waitForPosition(-1), 'INVALID_ARGUMENT');
      });
    });

    it('answers waiters when the store closes', async () => {
      const store = await harness.open();
      const waiting = store.waitForPosition(5, { timeoutMs: 60_000 });
      await store.close();
      expect(await waiting).toBe(0);
    });
  });
}
