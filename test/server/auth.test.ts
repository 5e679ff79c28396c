import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/server/token-cache.js';
import { withServer } from './support.js';

const codeOf = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;
const event = { events: [{ type: 'Placed', data: {} }] };

describe('bearer tokens and scopes', () => {
  it('without a token a secured server answers 401; health and the OpenAPI document stay open; metrics need read:*', async () => {
    await withServer({ open: false }, async ({ app }) => {
      for (const [method, url] of [['POST', '/streams/order-1'], ['GET', '/streams/order-1'], ['GET', '/all'], ['GET', '/all/subscribe'], ['GET', '/consumers']] as const) {
        const response = await app.inject({ method, url, payload: method === 'POST' ? event : undefined });
        expect([url, response.statusCode, codeOf(response.body)]).toEqual([url, 401, 'UNAUTHORIZED']);
      }
      const forged = await app.inject({ method: 'GET', url: '/all', headers: { authorization: 'Bearer trb_000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
      expect(forged.statusCode).toBe(401);
      const malformed = await app.inject({ method: 'GET', url: '/all', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(malformed.statusCode).toBe(401);
      for (const url of ['/health', '/openapi.json']) expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    });
  });

  it('a team token writes and reads only its categories; a read-only token cannot write; admin does everything', async () => {
    await withServer({ open: false }, async ({ app, token, store }) => {
      const orders = await token('write:order');
      const reader = await token('read:*');
      const stockReader = await token('read:stock');
      const admin = await token('admin');

      expect((await app.inject({ method: 'POST', url: '/streams/order-1', payload: event, headers: orders })).statusCode).toBe(201);
      const outside = await app.inject({ method: 'POST', url: '/streams/stock-1', payload: event, headers: orders });
      expect([outside.statusCode, codeOf(outside.body)]).toEqual([403, 'FORBIDDEN']);
      expect((await app.inject({ method: 'GET', url: '/streams/order-1', headers: orders })).statusCode).toBe(200);

      const readOnly = await app.inject({ method: 'POST', url: '/streams/order-2', payload: event, headers: reader });
      expect([readOnly.statusCode, codeOf(readOnly.body)]).toEqual([403, 'FORBIDDEN']);
      expect((await app.inject({ method: 'GET', url: '/streams/order-1', headers: reader })).statusCode).toBe(200);

      await store.append('stock-1', [{ type: 'Reserved', data: {} }]);
      const narrowed = await app.inject({ method: 'GET', url: '/all', headers: stockReader });
      expect((JSON.parse(narrowed.body) as { events: { stream: string }[] }).events.map((e) => e.stream)).toEqual(['stock-1']);
      const asked = await app.inject({ method: 'GET', url: '/all?category=order', headers: stockReader });
      expect([asked.statusCode, codeOf(asked.body)]).toEqual([403, 'FORBIDDEN']);
      expect((await app.inject({ method: 'GET', url: '/streams/order-1', headers: stockReader })).statusCode).toBe(403);
      expect(JSON.parse((await app.inject({ method: 'GET', url: '/consumers', headers: stockReader })).body)).toEqual([]);

      expect((await app.inject({ method: 'GET', url: '/consumers', headers: admin })).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/streams/anything-1', payload: event, headers: admin })).statusCode).toBe(201);
      expect(await store.headPosition()).toBe(3);
    });
  });

  it('guards the rest of the contract: deletion and metadata need write, listings read:*, scavenge admin', async () => {
    await withServer({ open: false }, async ({ app, token, store }) => {
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const reader = await token('read:order');
      const writer = await token('write:order');
      const everything = await token('read:*');
      const status = async (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, headers: object, payload?: object) =>
        (await app.inject({ method, url, headers: headers as Record<string, string>, payload })).statusCode;
      expect(await status('GET', '/streams/order-1/info', reader)).toBe(200);
      expect(await status('PUT', '/streams/order-1/metadata', reader, { maxCount: 5 })).toBe(403);
      expect(await status('PUT', '/streams/order-1/metadata', writer, { maxCount: 5 })).toBe(204);
      expect(await status('DELETE', '/streams/order-1', reader)).toBe(403);
      expect(await status('GET', '/streams', reader)).toBe(403);
      expect(await status('GET', '/streams?category=order', reader)).toBe(200);
      expect(await status('GET', '/categories', everything)).toBe(200);
      expect(await status('POST', '/admin/scavenge', everything)).toBe(403);
      expect(await status('GET', '/head', reader)).toBe(200);
      expect(await status('GET', '/head', {})).toBe(401);
      expect(await status('DELETE', '/streams/order-1?hard=true', writer)).toBe(204);
      expect((await store.streamInfo('order-1')).deleted).toBe('tombstone');
    });
  });

  it('a revoked token stops working within a second, and only a hash of the secret is stored', async () => {
    await withServer({ open: false }, async ({ app, token, store }) => {
      const headers = await token('read:*');
      expect((await app.inject({ method: 'GET', url: '/all', headers })).statusCode).toBe(200);
      const [record] = await store.tokens!.list();
      const stored = await store.tokens!.find(record!.id);
      expect(headers.authorization).not.toContain(stored!.secretHash);
      expect(stored!.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(await store.tokens!.revoke(record!.id)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await app.inject({ method: 'GET', url: '/all', headers })).statusCode).toBe(401);
    });
  });

  it('takes the Bearer scheme in any case, as HTTP says', async () => {
    await withServer({ open: false }, async ({ app, token }) => {
      const secret = (await token('read:*')).authorization.slice('Bearer '.length);
      for (const authorization of [`bearer ${secret}`, `BEARER ${secret}`, `Bearer  ${secret} `]) {
        expect([authorization, (await app.inject({ method: 'GET', url: '/all', headers: { authorization } })).statusCode]).toEqual([authorization, 200]);
      }
      for (const authorization of [`Bearer${secret}`, `Token ${secret}`, `Bearer ${secret} extra`]) {
        expect([authorization, (await app.inject({ method: 'GET', url: '/all', headers: { authorization } })).statusCode]).toEqual([authorization, 401]);
      }
    });
  });

  it('remembers a bounded number of tokens, the least recently used leaving first', () => {
    const cache = new TokenCache(3);
    const entry = { grant: undefined, secretHash: '', at: 0 };
    for (const id of ['a', 'b', 'c']) cache.set(id, entry);
    expect(cache.get('a')).toBe(entry);
    for (let i = 0; i < 40_000; i++) cache.set(`unknown-${i}`, entry);
    expect(cache.size).toBe(3);
    cache.set('d', entry);
    cache.get('unknown-39998');
    cache.set('e', entry);
    expect([cache.get('unknown-39999'), cache.get('unknown-39998'), cache.get('d'), cache.get('e')]).toEqual([undefined, entry, entry, entry]);
  });
});
