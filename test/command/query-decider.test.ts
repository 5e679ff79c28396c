import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  handleQueryCommand,
  isTributaryError,
  loadQueryState,
  rejectCommand,
  type EventStore,
  type QueryDecider,
  type TaggedEvent,
} from '../../src/index.js';
import { racedStore } from '../support/raced-store.js';
import { sqliteStoresPerTest } from '../support/test-stores.js';

/** Invoice numbers: one series across every invoice stream, numbered without gaps or repeats. */
type NumberInvoice = { series: string; invoiceId: string };
type Numbered = TaggedEvent<'InvoiceNumbered', { invoiceId: string; number: number }>;
type Series = { last: number; numbered: Record<string, number> };

const numbering: QueryDecider<NumberInvoice, Numbered, Series> = {
  query: (command) => [{ types: ['InvoiceNumbered'], tags: [`series:${command.series}`] }],
  initialState: () => ({ last: 0, numbered: {} }),
  evolve: (state, event) => ({ last: event.data.number, numbered: { ...state.numbered, [event.data.invoiceId]: event.data.number } }),
  decide: (command, state) => {
    if (command.invoiceId in state.numbered) return [];
    if (command.invoiceId === '') throw rejectCommand('an invoice needs an id');
    const number = state.last + 1;
    return { stream: `invoice-${command.invoiceId}`, type: 'InvoiceNumbered', data: { invoiceId: command.invoiceId, number }, tags: [`series:${command.series}`] };
  },
};

const numbered = (series: string, invoiceId: string, number: number) => ({
  type: 'InvoiceNumbered',
  data: { invoiceId, number },
  tags: [`series:${series}`],
});

const folder = mkdtempSync(join(tmpdir(), 'tributary-query-decider-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const openTestStore = sqliteStoresPerTest();
const memoryStore = () => openTestStore();

async function numbersIn(store: EventStore, series: string): Promise<number[]> {
  const page = await store.readAll({ tags: [`series:${series}`], limit: 10_000 });
  return page.events.map((event) => (event.data as { number: number }).number);
}

describe('handleQueryCommand', () => {
  it('folds only the events its query matches, across streams, and appends to the stream the event names, with its tags', async () => {
    const store = memoryStore();
    await store.appendMany([
      { stream: 'invoice-a', events: [numbered('2026', 'a', 1)] },
      { stream: 'invoice-b', events: [numbered('2025', 'b', 7)] },
      { stream: 'invoice-c', events: [{ type: 'InvoiceSent', data: {}, tags: ['series:2026'] }] },
    ]);
    const handled = await handleQueryCommand(store, numbering, { series: '2026', invoiceId: 'd' });
    expect(handled.events).toEqual([{ stream: 'invoice-d', type: 'InvoiceNumbered', data: { invoiceId: 'd', number: 2 }, tags: ['series:2026'] }]);
    expect(handled.state).toEqual({ last: 2, numbered: { a: 1, d: 2 } });
    // the last event the query matched: InvoiceSent at 3 carries the tag but not the type
    expect(handled.position).toBe(1);
    expect(handled.result).toMatchObject({ position: 4, streams: [{ stream: 'invoice-d', nextExpectedRevision: 0, position: 4 }] });
    const [stored] = (await store.readStream('invoice-d')).events;
    expect(stored).toMatchObject({ type: 'InvoiceNumbered', data: { invoiceId: 'd', number: 2 }, tags: ['series:2026'], position: 4 });
  });

  it('writes a decision naming several streams in one atomic call, each stream in the order it first appears, its events in order', async () => {
    type Moved = TaggedEvent<'Left' | 'Arrived' | 'Noted', { guest: string }>;
    const move: QueryDecider<{ guest: string }, Moved, null> = {
      query: (command) => [{ tags: [`guest:${command.guest}`] }],
      initialState: () => null,
      evolve: (state) => state,
      decide: ({ guest }) => [
        { stream: 'room-1', type: 'Left', data: { guest }, tags: [`guest:${guest}`] },
        { stream: 'room-2', type: 'Arrived', data: { guest }, tags: [`guest:${guest}`] },
        { stream: 'room-1', type: 'Noted', data: { guest } },
      ],
    };
    const store = memoryStore();
    const { result } = await handleQueryCommand(store, move, { guest: 'ada' });
    expect(result!.streams.map((written) => [written.stream, written.events.length])).toEqual([
      ['room-1', 2],
      ['room-2', 1],
    ]);
    const log = await store.readAll();
    expect(log.events.map((event) => `${event.stream}:${event.type}:${event.tags.join(',')}`)).toEqual([
      'room-1:Left:guest:ada',
      'room-1:Noted:',
      'room-2:Arrived:guest:ada',
    ]);
  });

  it('a refusal is thrown as COMMAND_REJECTED and writes nothing; an empty decision writes nothing and returns no result', async () => {
    const store = memoryStore();
    await expect(handleQueryCommand(store, numbering, { series: '2026', invoiceId: '' })).rejects.toMatchObject({ code: 'COMMAND_REJECTED' });
    expect(await store.headPosition()).toBe(0);
    await handleQueryCommand(store, numbering, { series: '2026', invoiceId: 'a' });
    const again = await handleQueryCommand(store, numbering, { series: '2026', invoiceId: 'a' });
    expect(again).toMatchObject({ events: [], result: null, position: 1, state: { last: 1 } });
    expect(await store.headPosition()).toBe(1);
  });

  it('a query the store refuses fails the command with INVALID_QUERY before anything is written', async () => {
    const store = memoryStore();
    const broken: QueryDecider<NumberInvoice, Numbered, Series> = { ...numbering, query: () => [{}] };
    await expect(handleQueryCommand(store, broken, { series: '2026', invoiceId: 'a' })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
    expect(await store.headPosition()).toBe(0);
  });

  it('retries on APPEND_CONDITION_FAILED: a rival number taken between the read and the append is read, and the next number taken', async () => {
    const store = memoryStore();
    const rival = racedStore(store, async (call) => {
      if (call === 1) await store.append('invoice-rival', [numbered('2026', 'rival', 1)]);
    });
    const handled = await handleQueryCommand(rival, numbering, { series: '2026', invoiceId: 'mine' }, { retries: 1 });
    expect(handled.events[0]!.data.number).toBe(2);
    expect(handled.position).toBe(1);
    expect(await numbersIn(store, '2026')).toEqual([1, 2]);
  });

  it('without retries, the loser of a race gets APPEND_CONDITION_FAILED naming the position read and the conflicting one', async () => {
    const store = memoryStore();
    await store.append('invoice-old', [numbered('2026', 'old', 1)]);
    const rival = racedStore(store, () => store.append('invoice-rival', [numbered('2026', 'rival', 2)]));
    const failure = await handleQueryCommand(rival, numbering, { series: '2026', invoiceId: 'mine' }).catch((error: unknown) => error);
    expect(isTributaryError(failure, 'APPEND_CONDITION_FAILED')).toBe(true);
    expect(failure).toMatchObject({ details: { after: 1, positions: [2] } });
    expect(await numbersIn(store, '2026')).toEqual([1, 2]);
  });

  it('stops after its retries: with a rival winning every race it tries retries + 1 times, then throws, having written nothing', async () => {
    const store = memoryStore();
    const rival = racedStore(store, (call) => store.append(`invoice-rival${call}`, [numbered('2026', `rival${call}`, call)]));
    const attempts: number[] = [];
    const counting: QueryDecider<NumberInvoice, Numbered, Series> = {
      ...numbering,
      decide: (command, state) => {
        attempts.push(state.last);
        return numbering.decide(command, state);
      },
    };
    await expect(handleQueryCommand(rival, counting, { series: '2026', invoiceId: 'mine' }, { retries: 2 })).rejects.toMatchObject({
      code: 'APPEND_CONDITION_FAILED',
      details: { after: 2, positions: [3] },
    });
    expect(attempts).toEqual([0, 1, 2]);
    expect(await numbersIn(store, '2026')).toEqual([1, 2, 3]);
  });

  it('an event the query does not match, appended meanwhile, does not fail the condition', async () => {
    const store = memoryStore();
    const unrelated = racedStore(store, () => store.append('invoice-other', [numbered('2025', 'other', 1)]));
    const handled = await handleQueryCommand(unrelated, numbering, { series: '2026', invoiceId: 'mine' });
    expect(handled.events[0]!.data.number).toBe(1);
    expect(handled.result!.position).toBe(2);
  });

  it('refuses retries that are not an integer >= 0 with INVALID_ARGUMENT', async () => {
    const store = memoryStore();
    for (const retries of [-1, 1.5, Number.NaN]) {
      await expect(handleQueryCommand(store, numbering, { series: '2026', invoiceId: 'a' }, { retries })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('stamps the command metadata on every event, and an event id the decider gives makes a repeated command an idempotent retry', async () => {
    type Claimed = TaggedEvent<'Claimed', { by: string }>;
    const claim: QueryDecider<{ requestId: string; by: string }, Claimed, string | null> = {
      query: () => [{ types: ['Claimed'], tags: ['seat:1A'] }],
      initialState: () => null,
      evolve: (_, event) => event.data.by,
      decide: (command, holder) => {
        if (holder !== null && holder !== command.by) throw rejectCommand('the seat is taken', { holder });
        // the same request decides the same event, id included: the store answers with where it landed the first time
        return { id: command.requestId, stream: `passenger-${command.by}`, type: 'Claimed', data: { by: command.by }, tags: ['seat:1A'] };
      },
    };
    const store = memoryStore();
    const command = { requestId: '0190d7a4-5f1e-7c3a-8b2d-4e6f8a0b1c2d', by: 'ada' };
    const first = await handleQueryCommand(store, claim, command, { metadata: { correlationId: 'request-7' } });
    const retried = await handleQueryCommand(store, claim, command, { metadata: { correlationId: 'request-7' } });
    expect(retried.result).toEqual(first.result);
    const log = await store.readAll();
    expect(log.events).toHaveLength(1);
    expect(log.events[0]!.metadata).toEqual({ correlationId: 'request-7' });
    expect(log.events[0]!.id).toBe(command.requestId);
    await expect(handleQueryCommand(store, claim, { requestId: '0190d7a4-5f1e-7c3a-8b2d-4e6f8a0b1c2e', by: 'bob' })).rejects.toMatchObject({
      code: 'COMMAND_REJECTED',
      details: { holder: 'ada' },
    });
  });

  it('folds every matching event however many pages they take', async () => {
    const store = memoryStore();
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: 900 }, (_, i) => numbered('big', `i${batch * 900 + i}`, batch * 900 + i + 1));
      await store.appendMany([{ stream: `invoice-batch${batch}`, events }, { stream: 'noise-1', events: [{ type: 'Noise', data: {} }] }]);
    }
    const numbers = { initialState: (): number[] => [], evolve: (seen: number[], event: Numbered) => (seen.push(event.data.number), seen) };
    const { state, position } = await loadQueryState(store, numbering.query({ series: 'big', invoiceId: '' }), numbers);
    expect(state).toEqual(Array.from({ length: 2700 }, (_, i) => i + 1));
    // the last numbered event; the noise after it matches nothing
    expect(position).toBe(2702);
  });

  it('loadQueryState answers position 0 when nothing matches: any matching event at all is one the decision did not see', async () => {
    const store = memoryStore();
    await store.append('noise-1', [{ type: 'Noise', data: {} }, { type: 'Noise', data: {} }]);
    expect(await loadQueryState(store, [{ tags: ['nothing:here'] }], numbering)).toEqual({ state: { last: 0, numbered: {} }, position: 0 });
    await handleQueryCommand(store, numbering, { series: 'new', invoiceId: 'a' });
    expect(await numbersIn(store, 'new')).toEqual([1]);
  });

  it('reads no head: a decision costs its query reads and its append', async () => {
    const store = memoryStore();
    let headReads = 0;
    const counting = new Proxy(store, {
      get(target, key) {
        if (key === 'headPosition') return async () => (headReads++, target.headPosition());
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await handleQueryCommand(counting, numbering, { series: '2026', invoiceId: 'a' });
    await handleQueryCommand(counting, numbering, { series: '2026', invoiceId: 'b' });
    expect(headReads).toBe(0);
    expect(await numbersIn(store, '2026')).toEqual([1, 2]);
  });

  it('many writers racing for numbers in one series: every number taken once, none skipped', async () => {
    const store = memoryStore();
    const handled = await Promise.all(
      Array.from({ length: 12 }, (_, i) => handleQueryCommand(store, numbering, { series: '2026', invoiceId: `inv${i}` }, { retries: 20 })),
    );
    expect(handled.map((h) => h.events[0]!.data.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await numbersIn(store, '2026')).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('two store handles on one file (as two processes): each number still taken once', async () => {
    const path = join(folder, 'two-handles.db');
    const first = openTestStore(path);
    const second = openTestStore(path);
    const handled = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        handleQueryCommand(i % 2 === 0 ? first : second, numbering, { series: 'x', invoiceId: `inv${i}` }, { retries: 20 }),
      ),
    );
    expect(handled.map((h) => h.events[0]!.data.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await numbersIn(first, 'x')).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
