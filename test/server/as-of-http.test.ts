import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { backends } from '../support/backends.js';
import { withServer } from './support.js';

const append = (type: string) => ({ events: [{ type, data: {} }] });

describe.each(backends)('reads as of a point over HTTP on $name', ({ location }) => {
  it('?asOf= on GET /streams/{stream} and GET /all, asOf in POST /all/query, GET /positions?at=, with the library\'s INVALID_AS_OF', async () => {
    const store = await openStore(location('http-as-of'));
    await withServer({ store }, async ({ app, token }) => {
      const post = (stream: string, type: string) => app.inject({ method: 'POST', url: `/streams/${stream}`, payload: append(type) });
      expect((await post('account-12345', 'Deposited')).statusCode).toBe(201);
      await sleep(5);
      expect((await post('account-777', 'Opened')).statusCode).toBe(201);
      await sleep(5);
      expect((await post('account-12345', 'Withdrawn')).statusCode).toBe(201);
      const get = async (url: string, headers: Record<string, string> = {}) => {
        const reply = await app.inject({ method: 'GET', url, headers });
        return { status: reply.statusCode, body: reply.json<{ events: { position: number; recordedAt: string }[]; next: unknown; position?: number; error?: { code: string } }>() };
      };
      const log = (await get('/all')).body.events;
      const second = encodeURIComponent(log[1]!.recordedAt);

      expect((await get(`/streams/account-12345?asOf=${second}`)).body.events.map((e) => e.position)).toEqual([1]);
      expect((await get('/streams/account-12345?asOf=3&direction=backward&limit=1')).body).toMatchObject({ events: [{ position: 3 }], next: 0 });
      expect((await get('/all?asOf=2&limit=1')).body).toMatchObject({ events: [{ position: 1 }], next: 1 });
      expect((await get('/all?asOf=2&after=1')).body).toMatchObject({ events: [{ position: 2 }], next: null });
      expect((await get(`/all?asOf=${second}&category=account`)).body.events.map((e) => e.position)).toEqual([1, 2]);
      expect((await get(`/positions?at=${second}`)).body).toEqual({ position: 2 });
      expect((await get('/positions?at=2026-01-01')).body).toEqual({ position: 0 });
      const queried = await app.inject({ method: 'POST', url: '/all/query', payload: { query: [{ types: ['Withdrawn', 'Deposited'] }], asOf: 2 } });
      expect(queried.json<{ events: { position: number }[] }>().events.map((e) => e.position)).toEqual([1]);
      expect((await get('/streams/account-777?asOf=1')).body.error?.code).toBe('STREAM_NOT_FOUND');

      for (const bad of ['0', '4', 'yesterday', '2026-02-30', '']) {
        for (const url of [`/streams/account-12345?asOf=${bad}`, `/all?asOf=${bad}`]) {
          const refused = await get(url);
          expect([url, refused.status, refused.body.error?.code]).toEqual([url, 400, 'INVALID_AS_OF']);
        }
      }
      expect((await get('/positions?at=12')).body.error?.code).toBe('INVALID_AS_OF');
      expect((await get('/positions')).status).toBe(400);
      for (const asOf of [0, true, 'March 3']) {
        const refused = await app.inject({ method: 'POST', url: '/all/query', payload: { query: [{ types: ['Opened'] }], asOf } });
        expect([asOf, refused.statusCode, refused.json<{ error: { code: string } }>().error.code]).toEqual([asOf, 400, 'INVALID_AS_OF']);
      }
      // a position tells only the log's length: any token may look one up, as it may read the head
      expect((await get(`/positions?at=${second}`, await token('read:order'))).body).toEqual({ position: 2 });
    });
  });
});
