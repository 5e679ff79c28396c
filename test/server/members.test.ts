import { describe, expect, it } from 'vitest';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { SseClient } from './sse-client.js';
import { until } from '../support/serve-process.js';
import { listening, withServer } from './support.js';


interface Received {
  member: string;
  stream: string;
  revision: number;
  position: number;
}

/** A group member that speaks only HTTP: it reads its event stream and acknowledges each event, failing those `fails` picks. */
async function httpMember(base: string, group: string, member: string, received: Received[], fails: (event: Record<string, unknown>) => boolean = () => false) {
  const client = await SseClient.open(`${base}/consumers/${group}/members/${member}/events?partitions=4&category=mail`);
  let acked = 0;
  const pump = setInterval(() => {
    for (const { event } of client.events.slice(acked)) {
      acked++;
      const failed = fails(event);
      if (!failed) received.push({ member, stream: event['stream'] as string, revision: event['revision'] as number, position: event['position'] as number });
      // an acknowledgement still in flight when the test closes the server is lost, which is what a member would see
      fetch(`${base}/consumers/${group}/members/${member}/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(failed ? { position: event['position'], ok: false, error: 'smtp refused' } : { position: event['position'] }),
      }).catch(() => undefined);
    }
  }, 5);
  return {
    client,
    close() {
      clearInterval(pump);
      client.close();
    },
  };
}


describe('consumer group members over HTTP (server-sent events and acknowledgements)', () => {
  it('shares a group between HTTP members: every event once, each stream in order; a member that leaves hands its streams on', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      const received: Received[] = [];
      const a = await httpMember(base, 'mailer', 'a', received);
      const b = await httpMember(base, 'mailer', 'b', received);
      await until(async () => {
        const status = (await consumerStatus(store, ['mailer']))[0];
        return status?.members.length === 2 && status.members.every((m) => m.partitions.length === 2);
      }, 'both members hold two partitions');
      for (let i = 0; i < 40; i++) await store.append(`mail-${i % 8}`, [{ type: 'Send', data: { i } }]);
      await until(() => received.length === 40, 'all 40 events are acknowledged');
      expect(new Set(received.map((r) => r.member))).toEqual(new Set(['a', 'b']));

      b.close();
      await until(async () => (await consumerStatus(store, ['mailer']))[0]?.members.length === 1, 'b has left');
      for (let i = 40; i < 56; i++) await store.append(`mail-${i % 8}`, [{ type: 'Send', data: { i } }]);
      await until(() => received.length === 56, 'a handles every stream after b left');
      a.close();

      expect(new Set(received.map((r) => r.position)).size).toBe(56);
      for (let s = 0; s < 8; s++) {
        expect(received.filter((r) => r.stream === `mail-${s}`).map((r) => r.revision)).toEqual(Array.from({ length: 7 }, (_, i) => i));
      }
    });
  });

  it('retries an event the member fails, then parks it and goes on', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      const received: Received[] = [];
      const member = await httpMember(base, 'bouncer', 'only', received, (event) => event['type'] === 'Bounce');
      await store.append('mail-1', [{ type: 'Send', data: {} }, { type: 'Bounce', data: {} }, { type: 'Send', data: {} }]);
      await until(() => received.length === 2, 'the good events are acknowledged', 20_000);
      const parked = await store.consumers.listParked('bouncer');
      expect(parked.map((p) => [p.position, p.type, p.attempts])).toEqual([[2, 'Bounce', 5]]);
      expect(parked[0]!.error).toContain('smtp refused');
      expect(member.client.events.filter((e) => e.id === '2')).toHaveLength(5);
      member.close();
    });
  });

  it('refuses a second stream for the same member, and an acknowledgement for an event not in flight', async () => {
    await withServer({}, async ({ app }) => {
      const base = await listening(app);
      const first = await SseClient.open(`${base}/consumers/solo/members/m/events`);
      const second = await SseClient.open(`${base}/consumers/solo/members/m/events`);
      expect(second.status).toBe(409);
      const wrong = await fetch(`${base}/consumers/solo/members/m/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"position":7}' });
      expect(wrong.status).toBe(409);
      expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('EVENT_NOT_IN_FLIGHT');
      const nobody = await fetch(`${base}/consumers/solo/members/x/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"position":7}' });
      expect(((await nobody.json()) as { error: { code: string } }).error.code).toBe('CONSUMER_NOT_FOUND');
      first.close();
      second.close();
    });
  });
});
