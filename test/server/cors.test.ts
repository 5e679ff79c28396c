import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/server.js';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

const ORIGIN = 'https://app.example.com';

describe('CORS for browser applications on other origins', () => {
  it('answers preflights and adds the headers to every answer for an allowed origin, refusals and server-sent events included', async () => {
    await withServer({ open: false, corsOrigins: [ORIGIN, 'http://localhost:5173'] }, async ({ app, store, token }) => {
      const reader = await token('read:*');
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/streams/order-1',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
      expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');

      const refused = await app.inject({ method: 'GET', url: '/all', headers: { origin: ORIGIN } });
      expect([refused.statusCode, refused.headers['access-control-allow-origin']]).toEqual([401, ORIGIN]);
      const read = await app.inject({ method: 'GET', url: '/all', headers: { origin: ORIGIN, ...reader } });
      expect([read.statusCode, read.headers['access-control-allow-origin']]).toEqual([200, ORIGIN]);
      const elsewhere = await app.inject({ method: 'GET', url: '/all', headers: { origin: 'https://evil.example', ...reader } });
      expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();

      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const base = await listening(app);
      // EventSource sends no Authorization header: the token rides in the query on these routes only
      const secret = reader.authorization.slice('Bearer '.length);
      const live = await SseClient.open(`${base}/all/subscribe?after=0&access_token=${secret}`, { origin: ORIGIN });
      try {
        expect(live.status).toBe(200);
        expect(live.headers['access-control-allow-origin']).toBe(ORIGIN);
        await live.until((client) => client.messages.some((m) => m.event === 'caught-up'), 'the history is out');
        expect(live.events.map(({ event }) => event['stream'])).toEqual(['order-1']);
      } finally {
        live.close();
      }
      const notLive = await app.inject({ method: 'GET', url: `/all?access_token=${secret}` });
      expect(notLive.statusCode).toBe(401);
      const noToken = await app.inject({ method: 'GET', url: '/streams/order-1/subscribe?access_token=trb_000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      expect(noToken.statusCode).toBe(401);
    });
  });

  it('is off by default: a preflight is an unknown route', async () => {
    await withServer({}, async ({ app }) => {
      const preflight = await app.inject({ method: 'OPTIONS', url: '/all', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
      expect(preflight.statusCode).toBe(404);
      expect(preflight.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
      expect((await app.inject({ method: 'GET', url: '/all', headers: { origin: ORIGIN } })).headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('refuses an origin that is not one', async () => {
    for (const origin of ['app.example.com', 'https://app.example.com/', 'ftp://x.example', 'https://a.example/path']) {
      await expect(withServer({ corsOrigins: [origin] }, async () => undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('never logs a token given in the query', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    await withServer({ open: false }, async ({ store, token }) => {
      const reader = await token('read:*');
      const secret = reader.authorization.slice('Bearer '.length);
      const app = await buildServer({ store, open: false, logger: { level: 'info', stream } });
      try {
        const base = await listening(app);
        const live = await SseClient.open(`${base}/all/subscribe?access_token=${secret}`);
        expect(live.status).toBe(200);
        live.close();
        await app.inject({ method: 'GET', url: `/all?access_token=${secret}` });
      } finally {
        await app.close();
      }
      expect(lines.join('\n')).toContain('access_token=[redacted]');
      expect(lines.join('\n')).not.toContain(secret.split('.')[1]);
    });
  });
});
