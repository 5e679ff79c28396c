import { request as httpRequest, type ClientRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

/** An append whose body is only half sent: the server holds it in flight until the rest comes. */
function halfSentAppend(base: string, stream: string): { finish: () => Promise<number>; request: ClientRequest } {
  const body = JSON.stringify({ events: [{ type: 'Held', data: { n: 1 } }] });
  let answered: (status: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => (answered = resolve));
  const request = httpRequest(`${base}/streams/${stream}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
  });
  request.on('response', (response) => {
    response.resume();
    answered(response.statusCode ?? 0);
  });
  request.write(body.slice(0, 10));
  return {
    request,
    finish: () => {
      request.end(body.slice(10));
      return status;
    },
  };
}

async function append(base: string, stream: string): Promise<Response> {
  return fetch(`${base}/streams/${stream}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events: [{ type: 'Added', data: {} }] }),
  });
}

describe('bounded under overload', () => {
  it('answers 503 OVERLOADED with Retry-After beyond the in-flight limit, serves health and metrics, and takes requests again once one ends', async () => {
    await withServer({ overload: { maxInFlight: 2, retryAfterSeconds: 3 } }, async ({ app, store }) => {
      const base = await listening(app);
      const held = [halfSentAppend(base, 'cart-1'), halfSentAppend(base, 'cart-2')];
      await expect.poll(async () => (await append(base, 'cart-3')).status, { timeout: 5_000 }).toBe(503);

      const refused = await append(base, 'cart-3');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('3');
      expect(await refused.json()).toEqual({
        error: expect.objectContaining({ code: 'OVERLOADED', reason: 'in-flight', limit: 2, retryAfterSeconds: 3 }) as unknown,
      });
      expect((await fetch(`${base}/all`)).status).toBe(503);
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      expect((await fetch(`${base}/openapi.json`)).status).toBe(200);

      expect(await held[0]!.finish()).toBe(201);
      expect((await append(base, 'cart-3')).status).toBe(201);
      expect(await held[1]!.finish()).toBe(201);
      // refused appends stored nothing
      expect((await store.readAll()).events.map((event) => event.stream).sort()).toEqual(['cart-1', 'cart-2', 'cart-3']);
    });
  });

  it('does not count live subscribers as in flight once they stream', async () => {
    await withServer({ overload: { maxInFlight: 1 } }, async ({ app }) => {
      const base = await listening(app);
      const subscribers = await Promise.all([1, 2, 3].map(() => SseClient.open(`${base}/all/subscribe?after=0`)));
      for (const subscriber of subscribers) await subscriber.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'caught up');
      expect((await append(base, 'cart-1')).status).toBe(201);
      for (const subscriber of subscribers) await subscriber.until((c) => c.events.length === 1, 'the event');
      for (const subscriber of subscribers) subscriber.close();
    });
  });

  it('refuses new requests while the event loop runs later than its limit', async () => {
    await withServer({ overload: { maxEventLoopDelayMs: 50 } }, async ({ app }) => {
      // the sampler's first sample only starts its clock
      await new Promise((resolve) => setTimeout(resolve, 100));
      const blockedUntil = Date.now() + 300;
      while (Date.now() < blockedUntil);
      // the sampler's window closes right after the block
      await new Promise((resolve) => setTimeout(resolve, 30));
      const refused = await app.inject({ method: 'GET', url: '/all' });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json()).toMatchObject({ error: { code: 'OVERLOADED', reason: 'event-loop-delay', limit: 50 } });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      await expect.poll(async () => (await app.inject({ method: 'GET', url: '/all' })).statusCode, { timeout: 5_000 }).toBe(200);
    });
  });
});
