import { describe, expect, it } from 'vitest';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

describe('consumer groups keep their filter and their categories', () => {
  it('a member of another team cannot narrow a group: the group still receives every payment event afterwards', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const base = await listening(app);
      const admin = await token('admin');
      const orders = await token('write:order');
      const both = await token('read:payment', 'write:order');
      const created = await fetch(`${base}/consumers/billing`, {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ partitions: 4, startAt: 0, filter: { categories: ['payment', 'order'] } }),
      });
      expect(created.status).toBe(200);
      for (let i = 0; i < 6; i++) {
        await store.append(`payment-${i}`, [{ type: 'Paid', data: { i } }]);
        await store.append(`order-${i}`, [{ type: 'Placed', data: { i } }]);
      }

      // the attack: a write:order member joins with its own category and would ack events
      const outsider = await SseClient.open(`${base}/consumers/billing/members/m-order/events?category=order`, orders);
      expect(outsider.status).toBe(403);
      outsider.close();
      // a member that may read both categories still cannot change the group's filter
      const narrowing = await SseClient.open(`${base}/consumers/billing/members/m-narrow/events?category=order`, both);
      expect(narrowing.status).toBe(409);
      narrowing.close();
      expect((await store.consumers.get('billing'))?.filter).toEqual({ categories: ['payment', 'order'] });

      // a member joining without a filter gets the group's own, and every event of both categories
      const member = await SseClient.open(`${base}/consumers/billing/members/m1/events`, both);
      expect(member.status).toBe(200);
      const acked = new Set<number>();
      const refusals: number[] = [];
      const ack = (position: number, headers: Record<string, string>) =>
        fetch(`${base}/consumers/billing/members/m1/ack`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ position }) });
      try {
        const deadline = Date.now() + 15_000;
        while (acked.size < 12 && Date.now() < deadline) {
          const next = member.events.map(({ event }) => event['position'] as number).find((position) => !acked.has(position));
          if (next === undefined) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            continue;
          }
          // another team's token cannot acknowledge the member's events for it
          refusals.push((await ack(next, orders)).status);
          expect((await ack(next, both)).status).toBe(204);
          acked.add(next);
        }
        expect(acked.size).toBe(12);
        expect(new Set(refusals)).toEqual(new Set([403]));
        const streams = member.events.map(({ event }) => event['stream'] as string);
        expect(streams.filter((stream) => stream.startsWith('payment-')).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `payment-${i}`));
        expect((await store.consumers.get('billing'))?.filter).toEqual({ categories: ['payment', 'order'] });
      } finally {
        member.close();
      }
    });
  });

  it('a consumer record, its status and its parked events are shown only to tokens that read its categories', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      await store.consumers.register({ name: 'pay-feed', partitions: 1, startAt: 0, filter: { categories: ['payment'] } });
      await store.consumers.register({ name: 'order-feed', partitions: 1, startAt: 0, filter: { categories: ['order'] } });
      await store.consumers.register({ name: 'everything', partitions: 1, startAt: 0, filter: {} });
      await store.consumers.register({ name: 'one-order', partitions: 1, startAt: 0, filter: { streamPrefix: 'order-12' } });
      const names = async (url: string, headers: Record<string, string>) =>
        (await app.inject({ method: 'GET', url, headers })).json<{ name: string }[]>().map((record) => record.name).sort();
      const orders = await token('write:order');
      const reader = await token('read:*');
      for (const url of ['/consumers', '/consumer-records']) {
        expect(await names(url, orders)).toEqual(['one-order', 'order-feed']);
        expect(await names(url, reader)).toEqual(['everything', 'one-order', 'order-feed', 'pay-feed']);
      }
      const refused = await app.inject({ method: 'GET', url: '/consumers/everything', headers: orders });
      expect([refused.statusCode, refused.json<{ error: { code: string } }>().error.code]).toEqual([403, 'FORBIDDEN']);
      // a filter over every category needs read:* to be created as well
      const wide = await app.inject({ method: 'PUT', url: '/consumers/mine', headers: orders, payload: { partitions: 1, startAt: 0, filter: { types: ['Paid'] } } });
      expect(wide.statusCode).toBe(403);
      expect(await store.consumers.get('mine')).toBeUndefined();
    });
  });
});
