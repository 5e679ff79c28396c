import { describe, expect, it } from 'vitest';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { SseClient } from './sse-client.js';
import { until as waitUntil } from '../support/serve-process.js';
import { listening, withServer } from './support.js';

const until = (check: () => boolean | Promise<boolean>, what: string, ms = 20_000) => waitUntil(check, what, ms);

interface Acked {
  member: string;
  stream: string;
  revision: number;
}

/**
 * A group member over HTTP with a window: it acknowledges what it was sent in
 * batches every 20 ms, failing (nack) the events `fails` picks and never
 * answering those `ignores` picks. It counts events sent while another of
 * their stream was unacknowledged, and the most it held unacknowledged.
 */
async function windowedMember(
  base: string,
  path: string,
  member: string,
  acked: Acked[],
  choices: { fails?: (event: Record<string, unknown>) => boolean; ignores?: (event: Record<string, unknown>) => boolean } = {},
) {
  const client = await SseClient.open(`${base}/consumers/${path.replace('{member}', member)}`);
  const unacked = new Map<number, string>();
  const stats = { overlaps: 0, most: 0 };
  let read = 0;
  const pump = setInterval(() => {
    const acks: number[] = [];
    const nacks: { position: number; error: string }[] = [];
    for (const { event } of client.events.slice(read)) {
      read++;
      const position = event['position'] as number;
      const stream = event['stream'] as string;
      if ([...unacked.values()].includes(stream)) stats.overlaps++;
      unacked.set(position, stream);
      stats.most = Math.max(stats.most, unacked.size);
      if (choices.ignores?.(event) === true) continue;
      if (choices.fails?.(event) === true) {
        nacks.push({ position, error: 'smtp refused' });
        continue;
      }
      acks.push(position);
      acked.push({ member, stream, revision: event['revision'] as number });
    }
    for (const position of [...acks, ...nacks.map((nack) => nack.position)]) unacked.delete(position);
    // timed-out events are sent again: forget them so the next copy is not counted as an overlap
    for (const [position, stream] of unacked) if (choices.ignores?.({ stream, position }) === true) unacked.delete(position);
    if (acks.length + nacks.length === 0) return;
    // an acknowledgement still in flight when the test closes the server is lost, which is what a member would see
    fetch(`${base}/consumers/${path.split('/')[0]}/members/${member}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ acks, nacks }),
    }).catch(() => undefined);
  }, 20);
  return {
    client,
    stats,
    close() {
      clearInterval(pump);
      client.close();
    },
  };
}


/** The revisions of each stream in the order they were first acknowledged. */
function firstAcks(acked: readonly Acked[]): Map<string, number[]> {
  const streams = new Map<string, number[]>();
  for (const { stream, revision } of acked) {
    const revisions = streams.get(stream) ?? [];
    if (!revisions.includes(revision)) revisions.push(revision);
    streams.set(stream, revisions);
  }
  return streams;
}

describe('consumer group members over HTTP with a window of events in flight', () => {
  it('two members with a window share a busy category of many streams: every event once, each stream in order, several in flight at once', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      const acked: Acked[] = [];
      const path = 'mailer/members/{member}/events?partitions=8&category=mail&window=16';
      const a = await windowedMember(base, path, 'a', acked);
      const b = await windowedMember(base, path, 'b', acked);
      await until(async () => {
        const status = (await consumerStatus(store, ['mailer']))[0];
        return status?.members.length === 2 && status.members.every((m) => m.partitions.length === 4);
      }, 'both members hold four partitions');
      // forty streams written at once, ten events each, while the members work
      await Promise.all(
        Array.from({ length: 40 }, async (_, s) => {
          for (let i = 0; i < 10; i++) await store.append(`mail-${s}`, [{ type: 'Send', data: { i } }]);
        }),
      );
      await until(() => acked.length === 400, 'all 400 events are acknowledged');
      await until(async () => (await consumerStatus(store, ['mailer']))[0]?.lagEvents === 0, 'the checkpoints reach the head');
      a.close();
      b.close();

      expect(new Set(acked.map((r) => r.member))).toEqual(new Set(['a', 'b']));
      for (let s = 0; s < 40; s++) {
        expect(acked.filter((r) => r.stream === `mail-${s}`).map((r) => r.revision), `mail-${s}`).toEqual(Array.from({ length: 10 }, (_, i) => i));
      }
      expect(a.stats.overlaps + b.stats.overlaps).toBe(0);
      expect(Math.max(a.stats.most, b.stats.most)).toBeGreaterThan(1);
      expect(Math.max(a.stats.most, b.stats.most)).toBeLessThanOrEqual(16);
    });
  });

  it('a member that leaves with events in flight hands them to the other: none lost, each stream first acknowledged in order', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      const acked: Acked[] = [];
      const path = 'relay/members/{member}/events?partitions=8&category=mail&window=50';
      const a = await windowedMember(base, path, 'a', acked);
      // b receives but never answers: what it holds when it leaves must go to a
      const b = await windowedMember(base, path, 'b', acked, { ignores: () => true });
      await until(async () => (await consumerStatus(store, ['relay']))[0]?.members.every((m) => m.partitions.length === 4) === true, 'both hold four partitions');
      for (let i = 0; i < 5; i++) for (let s = 0; s < 24; s++) await store.append(`mail-${s}`, [{ type: 'Send', data: { i } }]);
      // one per stream of its partitions: the next of each stream waits for an acknowledgement that never comes
      await b.client.until((client) => client.events.length >= 6, 'b holds events in flight');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(new Set(b.client.events.map(({ event }) => event['stream'])).size).toBe(b.client.events.length);
      b.close();
      await until(() => acked.length >= 120 && firstAcks(acked).size === 24 && [...firstAcks(acked).values()].every((r) => r.length === 5), 'every event is acknowledged');
      a.close();
      for (const [stream, revisions] of firstAcks(acked)) expect(revisions, stream).toEqual([0, 1, 2, 3, 4]);
      expect(a.stats.overlaps).toBe(0);
    });
  });

  it('a member that lets partitions go to a joiner loses their events in flight: the joiner gets them, and their late acknowledgements are refused', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      const acked: Acked[] = [];
      const path = 'handover/members/{member}/events?partitions=8&category=mail&window=50';
      // a holds every partition and answers nothing until b has joined
      const a = await windowedMember(base, path, 'a', acked, { ignores: () => true });
      for (let i = 0; i < 3; i++) for (let s = 0; s < 24; s++) await store.append(`mail-${s}`, [{ type: 'Send', data: { i } }]);
      await a.client.until((client) => client.events.length === 24, 'a holds the head of every stream');
      const b = await windowedMember(base, path, 'b', acked);
      await until(async () => (await consumerStatus(store, ['handover']))[0]?.members.every((m) => m.partitions.length === 4) === true, 'b takes half the partitions');
      await until(() => acked.length > 0, 'b handles the streams it took');
      const moved = b.client.events.map(({ event }) => event['position'] as number).find((position) => a.client.events.some((sent) => sent.event['position'] === position));
      expect(moved).toBeDefined();
      const late = await fetch(`${base}/consumers/handover/members/a/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acks: [moved] }) });
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe('EVENT_NOT_IN_FLIGHT');
      a.close();
      await until(() => [...firstAcks(acked).values()].reduce((sum, revisions) => sum + revisions.length, 0) === 72, 'b handles every event');
      b.close();
      for (const [stream, revisions] of firstAcks(acked)) expect(revisions, stream).toEqual([0, 1, 2]);
      expect(b.stats.overlaps).toBe(0);
    });
  });

  it('retries and parks failed and timed-out events one by one while the rest of the window goes on; their streams wait for them', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      const acked: Acked[] = [];
      const member = await windowedMember(base, 'bouncer/members/{member}/events?category=mail&window=10&ackTimeoutMs=200', 'only', acked, {
        fails: (event) => event['type'] === 'Bounce',
        ignores: (event) => event['type'] === 'Stuck',
      });
      await store.append('mail-1', [{ type: 'Send', data: {} }, { type: 'Bounce', data: {} }, { type: 'Send', data: {} }]);
      await store.append('mail-2', [{ type: 'Stuck', data: {} }, { type: 'Send', data: {} }]);
      for (let s = 3; s < 9; s++) await store.append(`mail-${s}`, [{ type: 'Send', data: {} }]);

      await until(() => acked.length === 7, 'the other streams are handled while the failures are retried');
      expect(acked.some((r) => r.stream === 'mail-2')).toBe(false);
      await until(() => acked.length === 9, 'the failed streams go on once their events are parked', 30_000);
      member.close();

      const parked = await store.consumers.listParked('bouncer');
      expect(parked.map((p) => [p.position, p.type, p.attempts])).toEqual([
        [2, 'Bounce', 5],
        [4, 'Stuck', 5],
      ]);
      expect(parked[0]!.error).toContain('smtp refused');
      expect(parked[1]!.error).toContain('not acknowledged within 200 ms');
      const sent = member.client.events.map(({ event }) => event['position'] as number);
      expect(sent.filter((position) => position === 2)).toHaveLength(5);
      expect(sent.filter((position) => position === 4)).toHaveLength(5);
      // each stream's next event is sent only after the one before it was parked
      expect(sent.indexOf(3)).toBeGreaterThan(sent.lastIndexOf(2));
      expect(sent.indexOf(5)).toBeGreaterThan(sent.lastIndexOf(4));
    });
  });

  it('sends no more than the window; a batch naming an event not in flight settles nothing; bodies, windows and other teams are refused', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const base = await listening(app);
      const mail = await token('read:mail');
      const orders = await token('write:order');
      const member = await SseClient.open(`${base}/consumers/mailer/members/m/events?category=mail&window=3`, mail);
      expect(member.status).toBe(200);
      for (let s = 0; s < 5; s++) await store.append(`mail-${s}`, [{ type: 'Send', data: {} }]);
      await member.until((client) => client.events.length === 3, 'the window is full');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(member.events.map(({ id }) => id)).toEqual(['1', '2', '3']);

      const ack = (body: unknown, headers: Record<string, string> = mail) =>
        fetch(`${base}/consumers/mailer/members/m/ack`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const refusal = async (response: Response) => ({ status: response.status, ...((await response.json()) as { error: { code: string; positions?: number[] } }).error });

      expect(await refusal(await ack({ acks: [1, 9] }))).toMatchObject({ status: 409, code: 'EVENT_NOT_IN_FLIGHT', positions: [9] });
      expect(await refusal(await ack({ acks: [1] }, orders))).toMatchObject({ status: 403 });
      expect(await refusal(await ack({ acks: [1], nacks: [{ position: 1, error: 'twice' }] }))).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
      for (const body of [{}, { acks: [1, 1] }, { acks: [1], position: 1 }, { acks: ['1'] }, { nacks: [{ position: 1 }] }, { acks: [0] }, { position: 1, acks: [] }]) {
        expect((await ack(body)).status, JSON.stringify(body)).toBe(400);
      }
      // nothing above settled anything: the window is still full
      expect(member.events).toHaveLength(3);

      expect((await ack({ acks: [1, 2], nacks: [{ position: 3, error: 'later' }] })).status).toBe(204);
      await member.until((client) => client.events.length >= 5, 'the next events come');
      expect(await refusal(await ack({ acks: [1] }))).toMatchObject({ status: 409, code: 'EVENT_NOT_IN_FLIGHT', positions: [1] });
      expect((await ack({ position: 4 })).status).toBe(204);
      member.close();

      for (const window of ['0', '1001', '1.5', 'many']) {
        const refused = await SseClient.open(`${base}/consumers/mailer/members/w/events?window=${window}`, mail);
        expect(refused.status, window).toBe(400);
        refused.close();
      }
    });
  });
});
