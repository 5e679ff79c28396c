import { describe, expect, it } from 'vitest';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { recordingsOf } from '../../src/store/gateway-recordings.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { parkedEvents } from '../../src/subscriptions/parked.js';
import { gateway } from '../../src/time/gateway/gateway.js';
import { listening, withServer } from './support.js';

describe('gateway recordings over HTTP', () => {
  it("DELETE /consumers/{name} drops the consumer's recordings, for a token that may change it and no other", async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const base = await listening(app);
      await store.consumers.register({ name: 'payment-mails', partitions: 1, startAt: 0, filter: { categories: ['payment'] } });
      const recordings = recordingsOf(store)!;
      await recordings.record('consumer:payment-mails', 'e1', 'mail', { kind: 'effect', response: null, recordedAt: 1 });
      await recordings.record('consumer:other', 'e1', 'mail', { kind: 'effect', response: null, recordedAt: 1 });

      const refused = await fetch(`${base}/consumers/payment-mails`, { method: 'DELETE', headers: await token('write:order') });
      expect(refused.status).toBe(403);
      expect(await recordings.find('consumer:payment-mails', 'e1', 'mail')).toBeDefined();

      const removed = await fetch(`${base}/consumers/payment-mails`, { method: 'DELETE', headers: await token('write:payment') });
      expect(removed.status).toBe(200);
      expect(await removed.json()).toEqual({ removed: true });
      expect(await recordings.find('consumer:payment-mails', 'e1', 'mail')).toBeUndefined();
      expect(await recordings.find('consumer:other', 'e1', 'mail')).toBeDefined();
    });
  });

  it('a consumer on a remote store cannot use the gateway: GATEWAY_UNSUPPORTED parks the event', async () => {
    await withServer({}, async ({ app, store }) => {
      const remote = openRemoteStore({ url: await listening(app) });
      await store.append('payment-1', [{ type: 'Paid', data: {} }]);
      const errors: string[] = [];
      const consumer = await startConsumer(remote, {
        name: 'remote-mails',
        retry: { attempts: 1 },
        handler: async (_, { replay }) => {
          expect(replay).toBe(false);
          await gateway.effect('mail', () => undefined).catch((error: { code: string }) => {
            errors.push(error.code);
            throw error;
          });
        },
      });
      try {
        const deadline = Date.now() + 10_000;
        while ((await parkedEvents(store, 'remote-mails')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(errors).toEqual(['GATEWAY_UNSUPPORTED']);
        expect((await parkedEvents(store, 'remote-mails'))[0]!.error).toContain('keeps no gateway recordings');
      } finally {
        await consumer.stop();
        await remote.close();
      }
    });
  });
});
