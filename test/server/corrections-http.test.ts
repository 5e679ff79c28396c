import { describe, expect, it } from 'vitest';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { openStore } from '../../src/open/open-store.js';
import { history } from '../../src/time/corrections/history.js';
import { reverse } from '../../src/time/corrections/reverse.js';
import { backends } from '../support/backends.js';
import { OpenApiContract } from './openapi.js';
import { listening, withServer } from './support.js';
import { codeOf } from '../support/refusal.js';

type Json = Record<string, unknown> & { error?: { code: string } };
const MISSING = '0193a5c2-7d1e-7c3a-9f00-1b2c3d4e5f60';

describe.each(backends)('reversals, events by id and history over HTTP on $name', ({ location }) => {
  it('reverses a deposit as the token that asked, and shows it in the history of the account and of the transfer', async () => {
    const store = await openStore(location('http-round-trip'));
    await withServer({ store, open: false }, async ({ app, namedToken }) => {
      const contract = await OpenApiContract.load(app);
      const teller = await namedToken('teller-app', 'write:account');
      const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
        const response = await app.inject({ method, url, headers: teller, ...(body === undefined ? {} : { payload: body as object }) });
        const route = url.split('?')[0]!.replace(/^\/(events|history|correlations|streams)\/[^/]+/, (_, kind: string) => `/${kind}/${kind === 'streams' ? '{stream}' : '{id}'}`);
        contract.check(method, route, response.statusCode, response.json());
        return { status: response.statusCode, body: response.json<Json>() };
      };
      const deposit = await call('POST', '/streams/account-damon', { events: [{ type: 'Deposited', data: { amount: 800 }, metadata: { correlationId: 'teller-42' } }] });
      const depositId = (deposit.body['events'] as { id: string }[])[0]!.id;
      const reversed = await call('POST', `/events/${depositId}/reverse`, { reason: 'keyed twice' });
      expect(reversed.status).toBe(201);
      expect(reversed.body).toMatchObject({ stream: 'account-damon', nextExpectedRevision: 1, position: 2 });
      expect(typeof reversed.body['id']).toBe('string');
      const read = await call('GET', `/events/${reversed.body['id'] as string}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ type: 'DepositedReversed', metadata: { reverses: depositId, causationId: depositId, correlationId: 'teller-42', reason: 'keyed twice', appendedBy: 'teller-app' } });
      const correlated = await call('GET', '/correlations/teller-42');
      expect((correlated.body['events'] as { position: number }[]).map((e) => e.position)).toEqual([1, 2]);
      for (const id of ['account-damon', 'teller-42', depositId]) {
        const answer = await call('GET', `/history/${id}`);
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ truncated: false, next: null });
        expect(answer.body).not.toHaveProperty('withheld');
        const entries = answer.body['entries'] as { event: { type: string }; kind: string; parent: string | null; depth: number; appendedBy: string }[];
        expect(entries.map((e) => [e.event.type, e.kind, e.parent, e.depth, e.appendedBy])).toEqual([
          ['Deposited', 'event', null, 0, 'teller-app'],
          ['DepositedReversed', 'reversal', depositId, 1, 'teller-app'],
        ]);
      }
      expect((await call('GET', '/history/account-damon?limit=1')).body).toMatchObject({ truncated: true, next: 1 });
    });
  });

  it('refuses unknown events and malformed reversals with the codes of the library', async () => {
    const store = await openStore(location('http-refusals'));
    await withServer({ store, open: false }, async ({ app, token }) => {
      const admin = await token('admin');
      const { events } = await store.append('account-1', [{ type: 'Deposited', data: { amount: 5 } }]);
      const id = events[0]!.id;
      await store.schemas!.register('Deposited', true);
      const registryEvent = (await store.readAll({ after: 1 })).events[0]!;
      const answer = async (method: 'GET' | 'POST', url: string, payload?: object) => {
        const response = await app.inject({ method, url, headers: admin, ...(payload === undefined ? {} : { payload }) });
        return [response.statusCode, response.json<Json>().error?.code];
      };
      expect(await answer('GET', `/events/${MISSING}`)).toEqual([404, 'EVENT_NOT_FOUND']);
      expect(await answer('GET', '/events/not-a-uuid')).toEqual([404, 'EVENT_NOT_FOUND']);
      expect(await answer('POST', `/events/${MISSING}/reverse`, { reason: 'x' })).toEqual([404, 'EVENT_NOT_FOUND']);
      for (const body of [{}, { reason: '' }, { reason: '  ' }, { reason: 7 }, { reason: 'x'.repeat(1001) }, { reason: 'x', type: '' }, { reason: 'x', metadata: [] }, { reason: 'x', metadata: { appendedBy: 'someone' } }, { reason: 'x', extra: 1 }]) {
        expect(await answer('POST', `/events/${id}/reverse`, body), JSON.stringify(body)).toEqual([400, 'INVALID_CORRECTION']);
      }
      expect(await answer('POST', `/events/${registryEvent.id}/reverse`, { reason: 'x' })).toEqual([400, 'INVALID_CORRECTION']);
      expect(await answer('GET', '/history/account-1?limit=0')).toEqual([400, 'INVALID_REQUEST']);
      expect(await store.headPosition()).toBe(2);
    });
  });

  it("does not let another team's token reverse, read, trace or probe events of a category it cannot read", async () => {
    const store = await openStore(location('http-other-team'));
    await withServer({ store, open: false }, async ({ app, token }) => {
      const orders = await token('write:order');
      const payReader = await token('read:payment');
      const paid = await store.append('payment-1', [{ type: 'Paid', data: { amount: 10 }, metadata: { correlationId: 'deal-1' } }]);
      await store.append('order-1', [{ type: 'Placed', data: { total: 10 }, metadata: { correlationId: 'deal-1' } }]);
      const paidId = paid.events[0]!.id;
      const send = async (headers: object, method: 'GET' | 'POST', url: string, payload?: object) => {
        const response = await app.inject({ method, url, headers: headers as Record<string, string>, ...(payload === undefined ? {} : { payload }) });
        return { status: response.statusCode, body: response.json<Json>() };
      };
      // an event it may not read answers as one that does not exist, whatever the body
      for (const [method, url, body] of [['GET', `/events/${paidId}`], ['POST', `/events/${paidId}/reverse`, { reason: 'x' }], ['POST', `/events/${paidId}/reverse`, {}]] as const) {
        const refused = await send(orders, method, url, body);
        expect([refused.status, refused.body.error?.code]).toEqual([404, 'EVENT_NOT_FOUND']);
      }
      // one it may read but not write is refused
      const readOnly = await send(payReader, 'POST', `/events/${paidId}/reverse`, { reason: 'x' });
      expect([readOnly.status, readOnly.body.error?.code]).toEqual([403, 'FORBIDDEN']);
      const own = await send(orders, 'GET', '/history/payment-1');
      expect(own.body).toEqual({ entries: [], truncated: false, next: null });
      const deal = await send(orders, 'GET', '/history/deal-1');
      expect((deal.body['entries'] as { event: { stream: string } }[]).map((e) => e.event.stream)).toEqual(['order-1']);
      const correlated = await send(orders, 'GET', '/correlations/deal-1');
      expect((correlated.body['events'] as { stream: string }[]).map((e) => e.stream)).toEqual(['order-1']);
      expect(await store.headPosition()).toBe(2);
    });
  });

  it('reverses and traces through a remote store, with the same codes', async () => {
    const store = await openStore(location('http-remote'));
    await withServer({ store, open: true }, async ({ app }) => {
      const remote = openRemoteStore({ url: await listening(app) });
      try {
        const debit = await remote.appendMany([
          { stream: 'account-1', events: [{ type: 'Debited', data: { amount: 50 }, metadata: { correlationId: 'transfer-1' } }] },
          { stream: 'account-2', events: [{ type: 'Credited', data: { amount: 50 }, metadata: { correlationId: 'transfer-1' } }] },
        ]);
        const debitId = debit.streams[0]!.events[0]!.id;
        const result = await reverse(remote, debitId, { reason: 'refused by the bank' });
        expect((await remote.lookup.event(result.id))?.metadata).toMatchObject({ reverses: debitId, correlationId: 'transfer-1' });
        const traced = await history(remote, 'transfer-1');
        expect(traced.entries.map((e) => `${'  '.repeat(e.depth)}${e.event.stream} ${e.event.type} ${e.kind}`)).toEqual([
          'account-1 Debited event',
          'account-2 Credited event',
          '  account-1 DebitedReversed reversal',
        ]);
        expect(await codeOf(reverse(remote, MISSING, { reason: 'x' }))).toBe('EVENT_NOT_FOUND');
        expect(await codeOf(reverse(remote, debitId, { reason: '' }))).toBe('INVALID_CORRECTION');
        expect(await remote.lookup.event(MISSING)).toBeUndefined();
      } finally {
        await remote.close();
      }
    });
  });
});
