import { describe, expect, it } from 'vitest';
import { handleCommand, handleQueryCommand, type Decider, type DomainEvent, type QueryDecider, type TaggedEvent } from '../../src/index.js';
import { sqliteStoresPerTest } from '../support/test-stores.js';

const openTestStore = sqliteStoresPerTest();
const memoryStore = () => openTestStore();

type Deposit = { requestId: string; amount: number };
type Deposited = DomainEvent<'Deposited', { amount: number }> & { id: string };

/** A balance the same request deposits into once: the event's id is the request's. */
const account: Decider<Deposit, Deposited, number> = {
  initialState: () => 0,
  evolve: (balance, event) => balance + event.data.amount,
  decide: (command) => ({ id: command.requestId, type: 'Deposited', data: { amount: command.amount } }),
};

type Booked = TaggedEvent<'Booked', { nights: number }>;

/** Nights booked in a hotel, across guests' streams; the same request books once. */
const nights: QueryDecider<Deposit & { guest: string }, Booked, number> = {
  query: () => [{ types: ['Booked'], tags: ['hotel:1'] }],
  initialState: () => 0,
  evolve: (total, event) => total + event.data.nights,
  decide: (command) => ({ id: command.requestId, stream: `guest-${command.guest}`, type: 'Booked', data: { nights: command.amount }, tags: ['hotel:1'] }),
};

describe('a command repeated with the same event ids (an idempotent retry)', () => {
  it('handleCommand answers the state with the stored events folded once', async () => {
    const store = memoryStore();
    const command = { requestId: '0190d7a4-5f1e-7c3a-8b2d-4e6f8a0b1c01', amount: 30 };
    const first = await handleCommand(store, 'account-1', account, command);
    const retried = await handleCommand(store, 'account-1', account, command);
    expect(first.state).toBe(30);
    expect(retried.result).toEqual(first.result);
    expect(retried.state).toBe(30);
    expect((await store.readStream('account-1')).events).toHaveLength(1);
  });

  it('handleQueryCommand answers the state with the stored events its query matches folded once', async () => {
    const store = memoryStore();
    const command = { requestId: '0190d7a4-5f1e-7c3a-8b2d-4e6f8a0b1c02', amount: 2, guest: 'ada' };
    const first = await handleQueryCommand(store, nights, command);
    const retried = await handleQueryCommand(store, nights, command);
    expect(first.state).toBe(2);
    expect(retried.result).toEqual(first.result);
    expect(retried.state).toBe(2);
    const other = await handleQueryCommand(store, nights, { requestId: '0190d7a4-5f1e-7c3a-8b2d-4e6f8a0b1c03', amount: 3, guest: 'bob' });
    expect(other.state).toBe(5);
  });
});
