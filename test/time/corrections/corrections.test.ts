import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RecordedEvent } from '../../../src/core/event.js';
import { openStore } from '../../../src/open/open-store.js';
import { REVERSES_KEY } from '../../../src/store/audit.js';
import type { EventStore } from '../../../src/store/event-store.js';
import { startConsumer } from '../../../src/subscriptions/consumer.js';
import { history } from '../../../src/time/corrections/history.js';
import { reverse } from '../../../src/time/corrections/reverse.js';
import { backends } from '../../support/backends.js';
import { codeOf } from '../../support/refusal.js';

const opened: EventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function open(location: string): Promise<EventStore> {
  const store = await openStore(location);
  opened.push(store);
  return store;
}

/** Damon's account: opened, a deposit keyed twice, and a transfer of 50 to Ada's account under one correlation id. */
async function bank(store: EventStore) {
  await store.append('account-damon', [{ type: 'AccountOpened', data: { owner: 'Damon Allison' } }]);
  const deposit = await store.append('account-damon', [{ type: 'Deposited', data: { amount: 800 } }]);
  await store.append('account-ada', [{ type: 'AccountOpened', data: { owner: 'Ada' } }]);
  const transfer = await store.appendMany([
    { stream: 'account-damon', events: [{ type: 'Debited', data: { amount: 50 }, metadata: { correlationId: 'transfer-7731' } }] },
    { stream: 'account-ada', events: [{ type: 'Credited', data: { amount: 50 }, metadata: { correlationId: 'transfer-7731' } }] },
  ]);
  return { depositId: deposit.events[0]!.id, transfer };
}

const lines = (entries: { event: RecordedEvent; depth: number; kind: string }[]) =>
  entries.map((e) => `${'  '.repeat(e.depth)}${e.event.position} ${e.event.stream} ${e.event.type} ${e.kind}`);

describe.each(backends)('reversals and the history of a record on $name', ({ location }) => {
  it('finds events by id and by correlation id, and not once their stream is deleted', async () => {
    const store = await open(location('lookup'));
    const { depositId } = await bank(store);
    expect((await store.lookup!.event(depositId))?.type).toBe('Deposited');
    expect(await store.lookup!.event('0193a5c2-7d1e-7c3a-9f00-1b2c3d4e5f60')).toBeUndefined();
    expect(await store.lookup!.event('not-a-uuid')).toBeUndefined();
    expect((await store.lookup!.correlated('transfer-7731')).map((e) => `${e.stream}:${e.type}`)).toEqual(['account-damon:Debited', 'account-ada:Credited']);
    expect((await store.lookup!.correlated('transfer-7731', { after: 4, limit: 1 })).map((e) => e.position)).toEqual([5]);
    expect(await codeOf(store.lookup!.correlated('transfer-7731', { limit: 0 }))).toBe('INVALID_ARGUMENT');
    await store.setStreamMetadata('account-ada', { truncateBefore: 2 });
    expect((await store.lookup!.correlated('transfer-7731')).map((e) => e.stream)).toEqual(['account-damon']);
    await store.setStreamMetadata('account-damon', { maxCount: 1 });
    expect(await store.lookup!.event(depositId)).toBeUndefined();
    expect((await store.lookup!.correlated('transfer-7731')).map((e) => e.type)).toEqual(['Debited']);
    await store.setStreamMetadata('account-damon', {});
    expect((await store.lookup!.event(depositId))?.type).toBe('Deposited');
    await store.deleteStream('account-damon');
    expect(await store.lookup!.event(depositId)).toBeUndefined();
    expect(await store.lookup!.correlated('transfer-7731')).toEqual([]);
  });

  it('finds a correlation whose metadata holds escapes JSON parsers refuse (NUL, lone surrogates), and an escaped backslash as text', async () => {
    const store = await open(location('escapes'));
    await store.append('note-1', [{ type: 'Noted', data: {}, metadata: { correlationId: 'c-9', note: '\u0000 \ud800 \udc00\ud800' } }]);
    await store.append('note-1', [{ type: 'Noted', data: {}, metadata: { correlationId: 'c-\\u0000', note: '\\\ud800' } }]);
    expect((await store.lookup!.correlated('c-9')).map((e) => e.position)).toEqual([1]);
    expect((await store.lookup!.correlated('c-\\u0000')).map((e) => e.position)).toEqual([2]);
  });

  it('upcasts the events it finds, as every other read does', async () => {
    const store = await open(location('lookup-upcast'));
    await store.schemas!.setCompatibility('Deposited', 'NONE');
    await store.schemas!.register('Deposited', { type: 'object', properties: { amt: { type: 'number' } } });
    const { events } = await store.append('account-1', [{ type: 'Deposited', data: { amt: 5 }, metadata: { correlationId: 'c-1' } }]);
    await store.schemas!.register('Deposited', { type: 'object', properties: { amount: { type: 'number' } } });
    await store.schemas!.addUpcaster('Deposited', 1, [{ op: 'rename', path: '/amt', to: 'amount' }]);
    expect((await store.lookup!.event(events[0]!.id))!.data).toEqual({ amount: 5 });
    expect((await store.lookup!.correlated('c-1'))[0]!.data).toEqual({ amount: 5 });
    expect((await history(store, 'c-1')).entries[0]!.event.data).toEqual({ amount: 5 });
  });

  it('reverses a mistaken deposit with a linked event in the same stream, which a consumer receives like any other', async () => {
    const store = await open(location('reverse'));
    const { depositId } = await bank(store);
    const result = await reverse(store, depositId, { reason: 'keyed twice by the teller' });
    expect(result).toMatchObject({ stream: 'account-damon', nextExpectedRevision: 3, position: 6 });
    const reversal = (await store.readStream('account-damon', { from: 3 })).events[0]!;
    expect(reversal.id).toBe(result.id);
    expect(reversal.type).toBe('DepositedReversed');
    expect(reversal.data).toEqual({ reversedEventId: depositId, reversedType: 'Deposited', reversedRevision: 1, reason: 'keyed twice by the teller' });
    expect(reversal.metadata).toEqual({ causationId: depositId, correlationId: depositId, [REVERSES_KEY]: depositId, reason: 'keyed twice by the teller' });
    const received: RecordedEvent[] = [];
    const consumer = await startConsumer(store, { name: 'balances', filter: { categories: ['account'] }, handler: (event) => void received.push(event) });
    await expect.poll(() => received.length).toBe(6);
    await consumer.stop();
    expect(received[5]!.id).toBe(result.id);

    const custom = await reverse(store, depositId, { reason: 'again', type: 'DepositCancelled', data: { amount: 800 }, metadata: { ticket: 'OPS-12' } });
    const again = (await store.readStream('account-damon', { from: 4 })).events[0]!;
    expect([again.id, again.type, again.data, again.metadata.ticket, again.metadata.causationId]).toEqual([custom.id, 'DepositCancelled', { amount: 800 }, 'OPS-12', depositId]);
    const retried = await reverse(store, depositId, { reason: 'again', type: 'DepositCancelled', data: { amount: 800 }, metadata: { ticket: 'OPS-12' }, id: custom.id });
    expect(retried.position).toBe(custom.position);
  });

  it('keeps the correlation id of the original, and appends under an expected revision when given one', async () => {
    const store = await open(location('reverse-correlated'));
    const { transfer } = await bank(store);
    const debit = transfer.streams[0]!.events[0]!.id;
    const result = await reverse(store, debit, { reason: 'transfer refused by the bank' });
    expect((await store.lookup!.event(result.id))!.metadata.correlationId).toBe('transfer-7731');
    expect(await codeOf(reverse(store, debit, { reason: 'late', expectedRevision: 1 }))).toBe('WRONG_EXPECTED_REVISION');
  });

  it('refuses unknown events, store streams and malformed reasons and types, writing nothing', async () => {
    const store = await open(location('reverse-refusals'));
    const { depositId } = await bank(store);
    const head = await store.headPosition();
    expect(await codeOf(reverse(store, '0193a5c2-7d1e-7c3a-9f00-1b2c3d4e5f60', { reason: 'x' }))).toBe('EVENT_NOT_FOUND');
    expect(await codeOf(reverse(store, 'nope', { reason: 'x' }))).toBe('EVENT_NOT_FOUND');
    expect(await codeOf(reverse(store, depositId, { reason: '' }))).toBe('INVALID_CORRECTION');
    expect(await codeOf(reverse(store, depositId, { reason: '   ' }))).toBe('INVALID_CORRECTION');
    expect(await codeOf(reverse(store, depositId, { reason: 42 } as never))).toBe('INVALID_CORRECTION');
    expect(await codeOf(reverse(store, depositId, { reason: 'x'.repeat(1001) }))).toBe('INVALID_CORRECTION');
    expect(await codeOf(reverse(store, depositId, { reason: 'x', type: '' }))).toBe('INVALID_CORRECTION');
    expect(await codeOf(reverse(store, depositId, { reason: 'x', metadata: [] as never }))).toBe('INVALID_CORRECTION');
    expect(await codeOf(reverse(store, depositId, undefined as never))).toBe('INVALID_CORRECTION');
    const schemaEvent = await store.schemas!.register('Deposited', { type: 'object' });
    const registryEvent = (await store.readAll({ after: head })).events[0]!;
    expect(schemaEvent).toBeDefined();
    expect(registryEvent.stream.startsWith('$')).toBe(true);
    expect(await codeOf(reverse(store, registryEvent.id, { reason: 'x' }))).toBe('INVALID_CORRECTION');
    expect(await store.headPosition()).toBe(head + 1);
  });

  it("shows an account's history across its stream, with a reversal under the event it reverses", async () => {
    const store = await open(location('history-account'));
    const { depositId } = await bank(store);
    await reverse(store, depositId, { reason: 'keyed twice' });
    const { entries, truncated, next } = await history(store, 'account-damon');
    expect([truncated, next]).toEqual([false, null]);
    expect(lines(entries)).toEqual([
      '1 account-damon AccountOpened event',
      '2 account-damon Deposited event',
      '4 account-damon Debited event',
      '  6 account-damon DepositedReversed reversal',
    ]);
    const reversal = entries.find((e) => e.kind === 'reversal')!;
    expect(reversal).toMatchObject({ parent: depositId, depth: 1, reverses: depositId, matched: 'stream', appendedBy: null });
    expect(entries.every((e) => e.recordedAt === e.event.recordedAt)).toBe(true);
  });

  it("shows a transfer's correlation across both accounts, and an event with what it caused", async () => {
    const store = await open(location('history-transfer'));
    const { transfer, depositId } = await bank(store);
    const debit = transfer.streams[0]!.events[0]!.id;
    await reverse(store, debit, { reason: 'refused' });
    const byCorrelation = await history(store, 'transfer-7731');
    expect(lines(byCorrelation.entries)).toEqual(['4 account-damon Debited event', '5 account-ada Credited event', '  6 account-damon DebitedReversed reversal']);
    expect(byCorrelation.entries.map((e) => e.matched)).toEqual(['correlation', 'correlation', 'correlation']);
    const byEvent = await history(store, debit);
    expect(lines(byEvent.entries)).toEqual(['4 account-damon Debited event', '  6 account-damon DebitedReversed reversal']);
    expect((await history(store, depositId)).entries.map((e) => e.event.type)).toEqual(['Deposited']);
    expect((await history(store, 'nobody-at-all')).entries).toEqual([]);
  });

  it('pages a long history with truncated and next', async () => {
    const store = await open(location('history-pages'));
    await store.append('account-busy', Array.from({ length: 7 }, (_, n) => ({ type: 'Deposited', data: { n } })));
    const first = await history(store, 'account-busy', { limit: 3 });
    expect([first.entries.map((e) => e.event.position), first.truncated, first.next]).toEqual([[1, 2, 3], true, 3]);
    const last = await history(store, 'account-busy', { after: 6, limit: 3 });
    expect([last.entries.map((e) => e.event.position), last.truncated, last.next]).toEqual([[7], false, null]);
    expect(await codeOf(history(store, 'account-busy', { limit: 10_001 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(history(store, ''))).toBe('INVALID_ARGUMENT');
  });

  it('finds the events of a subject and the audit events about a stream by their tags', async () => {
    const store = await open(location('history-tags'));
    await store.append('order-1', [{ type: 'Placed', data: {}, tags: ['subject:cust-9'] }]);
    await store.append('order-2', [{ type: 'Placed', data: {}, tags: ['subject:cust-9'] }]);
    await store.append('order-3', [{ type: 'Placed', data: {} }]);
    expect((await history(store, 'cust-9')).entries.map((e) => `${e.event.stream} ${e.matched}`)).toEqual(['order-1 subject', 'order-2 subject']);
  });

  it('answers a correlation as a full scan of the log would', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('c1', 'c2', undefined)), { minLength: 1, maxLength: 25 }), async (plan) => {
        const store = await open(location(`property-${Math.random().toString(36).slice(2, 10)}`));
        for (const [account, correlationId] of plan) {
          await store.append(`account-${account}`, [{ type: 'Moved', data: {}, metadata: correlationId === undefined ? {} : { correlationId } }]);
        }
        const all = (await store.readAll({ limit: 100 })).events;
        for (const id of ['c1', 'c2']) {
          const expected = all.filter((e) => e.metadata.correlationId === id).map((e) => e.position);
          expect((await history(store, id)).entries.map((e) => e.event.position)).toEqual(expected);
        }
        await store.close();
      }),
      { numRuns: 8 },
    );
  });
});
