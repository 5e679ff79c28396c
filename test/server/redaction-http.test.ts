import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { REDACTIONS_STREAM } from '../../src/store/audit.js';
import { backends } from '../support/backends.js';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

// a busy test machine must not shed these requests: the overload tests cover shedding
const UNSHED = { overload: { maxEventLoopDelayMs: 0 } };

let stores = 0;
const SECRET = { amount: 50, note: 'card 4111 1111 1111 1111' };

describe.each(backends)('POST /events/{id}/redact on $name', ({ location }) => {
  it('redacts for the token that writes the category, and every HTTP reader sees the marker, live subscribers joining later too', async () => {
    const store = await openStore(location(`redact-http-${++stores}`));
    await withServer({ store, open: false, ...UNSHED }, async ({ app, namedToken, token }) => {
      const dpo = await namedToken('dpo', 'write:account');
      const reader = await token('read:*');
      await store.append('account-1', [{ type: 'Deposited', data: { amount: 100 } }, { type: 'Deposited', data: SECRET }, { type: 'Deposited', data: { amount: 25 } }]);
      const secret = (await store.readStream('account-1')).events[1]!;
      const base = await listening(app);
      // a live feed that has the event's bytes in its window before the redaction
      const early = await SseClient.open(`${base}/all/subscribe?after=0&category=account`, reader);
      await early.until((client) => client.events.length === 3, 'three events');
      const answer = await app.inject({ method: 'POST', url: `/events/${secret.id}/redact`, headers: dpo, payload: { reason: 'card number in a note' } });
      expect(answer.statusCode).toBe(200);
      const body = answer.json<{ event: { id: string; position: number; revision: number; data: unknown; metadata: unknown }; marker: unknown; alreadyRedacted: boolean }>();
      expect(body.marker).toEqual({ redacted: true, reason: 'card number in a note', at: expect.any(String) as unknown, by: 'dpo' });
      expect(body).toMatchObject({ alreadyRedacted: false, event: { id: secret.id, position: 2, revision: 1, data: body.marker, metadata: body.marker } });
      const again = await app.inject({ method: 'POST', url: `/events/${secret.id}/redact`, headers: dpo, payload: { reason: 'again' } });
      expect(again.json()).toMatchObject({ alreadyRedacted: true, marker: body.marker });

      const late = await SseClient.open(`${base}/all/subscribe?after=0&category=account`, reader);
      const stream = await SseClient.open(`${base}/streams/account-1/subscribe?after=0`, reader);
      try {
        for (const client of [late, stream]) {
          await client.until((c) => c.events.length === 3, 'three events');
          expect(client.events[1]!.event).toMatchObject({ id: secret.id, position: 2, data: body.marker, metadata: body.marker });
          expect(JSON.stringify(client.events)).not.toContain('4111');
        }
      } finally {
        early.close();
        late.close();
        stream.close();
      }
      for (const url of ['/streams/account-1', '/all?category=account', '/all']) {
        const read = await app.inject({ method: 'GET', url, headers: reader });
        expect(read.body, url).not.toContain('4111');
        expect(read.json<{ events: { id: string; data: unknown }[] }>().events.find((event) => event.id === secret.id)!.data).toEqual(body.marker);
      }
      const trail = await app.inject({ method: 'GET', url: `/streams/${REDACTIONS_STREAM}`, headers: reader });
      expect(trail.json<{ events: { data: unknown }[] }>().events.map((event) => event.data)).toEqual([
        { eventId: secret.id, stream: 'account-1', type: 'Deposited', revision: 1, position: 2, reason: 'card number in a note', at: (body.marker as { at: string }).at, by: 'dpo' },
      ]);
    });
  });

  it('refuses what the library refuses, and tells another team nothing', async () => {
    const store = await openStore(location(`redact-http-${++stores}`));
    await withServer({ store, open: false, ...UNSHED }, async ({ app, token }) => {
      const writer = await token('write:account');
      const admin = await token('admin');
      await store.append('account-1', [{ type: 'Deposited', data: SECRET }]);
      const [secret] = (await store.readStream('account-1')).events;
      const post = (id: string, headers: Record<string, string>, payload: unknown) => app.inject({ method: 'POST', url: `/events/${id}/redact`, headers, payload: payload as object });
      const refusals: [string, Record<string, string>, unknown, number, string][] = [
        [secret!.id, writer, { reason: '' }, 400, 'INVALID_CORRECTION'],
        [secret!.id, writer, {}, 400, 'INVALID_CORRECTION'],
        [secret!.id, writer, { reason: 'x'.repeat(1001) }, 400, 'INVALID_CORRECTION'],
        ['0190f1c2-0000-7000-8000-000000000000', writer, { reason: 'x' }, 404, 'EVENT_NOT_FOUND'],
        ['not-an-id', writer, { reason: 'x' }, 404, 'EVENT_NOT_FOUND'],
        // another team: the same answer as for an event that does not exist
        [secret!.id, await token('write:payment'), { reason: 'x' }, 404, 'EVENT_NOT_FOUND'],
        [secret!.id, await token('read:account'), { reason: 'x' }, 403, 'FORBIDDEN'],
      ];
      for (const [id, headers, payload, status, code] of refusals) {
        const answer = await post(id, headers, payload);
        expect({ id, payload, status: answer.statusCode, code: answer.json<{ error?: { code: string } }>().error?.code, body: answer.statusCode === 200 ? answer.body : undefined }).toEqual({ id, payload, status, code, body: undefined });
        // a token that reads the category may learn which stream it refused; no other may
        if (code !== 'FORBIDDEN') expect(answer.body).not.toContain('account-1');
      }
      expect((await store.readStream('account-1')).events[0]!.data).toEqual(SECRET);
      await expect(store.readStream(REDACTIONS_STREAM)).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
      expect((await post(secret!.id, admin, { reason: 'leak' })).statusCode).toBe(200);
      const [audit] = (await store.readStream(REDACTIONS_STREAM)).events;
      const audited = await post(audit!.id, admin, { reason: 'hide my tracks' });
      expect(audited.statusCode).toBe(400);
      expect(audited.json<{ error: { code: string } }>().error.code).toBe('INVALID_CORRECTION');
    });
  });
});
