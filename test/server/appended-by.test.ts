import { describe, expect, it } from 'vitest';
import { withServer } from './support.js';

// a loaded machine must not turn these appends into OVERLOADED: what sheds load is tested elsewhere
const UNSHED = { overload: { maxEventLoopDelayMs: 0 } };

interface ErrorBody {
  error: { code: string; index?: number; append?: number };
}

describe('the appending token recorded as the producer', () => {
  it('stores the token name under metadata.appendedBy on single and multi-stream appends, beside the caller\'s own metadata', async () => {
    await withServer({ ...UNSHED, open: false }, async ({ app, store, namedToken }) => {
      const orders = await namedToken('orders-service', 'write:order', 'write:invoice');
      const single = await app.inject({
        method: 'POST',
        url: '/streams/order-1',
        headers: orders,
        payload: { events: [{ type: 'Placed', data: {}, metadata: { correlationId: 'c-1' } }, { type: 'Priced', data: {} }] },
      });
      expect(single.statusCode).toBe(201);
      const many = await app.inject({
        method: 'POST',
        url: '/streams',
        headers: orders,
        payload: { appends: [{ stream: 'order-2', events: [{ type: 'Placed', data: {} }] }, { stream: 'invoice-2', events: [{ type: 'Issued', data: {} }] }] },
      });
      expect(many.statusCode).toBe(201);
      const { events } = await store.readAll();
      expect(events.map((event) => [event.stream, event.metadata])).toEqual([
        ['order-1', { correlationId: 'c-1', appendedBy: 'orders-service' }],
        ['order-1', { appendedBy: 'orders-service' }],
        ['order-2', { appendedBy: 'orders-service' }],
        ['invoice-2', { appendedBy: 'orders-service' }],
      ]);
    });
  });

  it('refuses a body that names a producer itself, whole, naming the event; nothing is stored', async () => {
    await withServer({ ...UNSHED, open: false }, async ({ app, store, namedToken }) => {
      const orders = await namedToken('orders-service', 'write:order');
      const forged = { type: 'Placed', data: {}, metadata: { appendedBy: 'payments-service' } };
      const single = await app.inject({ method: 'POST', url: '/streams/order-1', headers: orders, payload: { events: [{ type: 'Placed', data: {} }, forged] } });
      expect(single.statusCode).toBe(400);
      expect((JSON.parse(single.body) as ErrorBody).error).toMatchObject({ code: 'INVALID_EVENT', index: 1 });
      const many = await app.inject({
        method: 'POST',
        url: '/streams',
        headers: orders,
        payload: { appends: [{ stream: 'order-1', events: [{ type: 'Placed', data: {} }] }, { stream: 'order-2', events: [forged] }] },
      });
      expect(many.statusCode).toBe(400);
      expect((JSON.parse(many.body) as ErrorBody).error).toMatchObject({ code: 'INVALID_EVENT', append: 1, index: 0 });
      expect(await store.headPosition()).toBe(0);
    });
  });

  it('records nothing in open mode, where no token names the caller, and refuses a claimed producer there too', async () => {
    await withServer({ ...UNSHED, open: true }, async ({ app, store }) => {
      const plain = await app.inject({ method: 'POST', url: '/streams/order-1', payload: { events: [{ type: 'Placed', data: {}, metadata: { source: 'test' } }] } });
      expect(plain.statusCode).toBe(201);
      const claimed = await app.inject({ method: 'POST', url: '/streams/order-1', payload: { events: [{ type: 'Placed', data: {}, metadata: { appendedBy: 'me' } }] } });
      expect([claimed.statusCode, (JSON.parse(claimed.body) as ErrorBody).error.code]).toEqual([400, 'INVALID_EVENT']);
      expect((await store.readAll()).events.map((event) => event.metadata)).toEqual([{ source: 'test' }]);
    });
  });
});
