import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/entry/sqlite.js';
import { handleCommand, isTributaryError, loadState, newEventId, type EventStore } from '../../src/index.js';
import { racedStore } from '../../test/support/raced-store.js';
import { account, type AccountState } from './account.js';
import { decideTransfer, transferMoney, type Transfer } from './transfer.js';

const open = (balance: number, transfers: string[] = []): AccountState => ({ status: 'open', owner: 'D', balance, transfers });
const rejected = { code: 'COMMAND_REJECTED' };
const refusalOf = (decide: () => unknown): unknown => {
  try {
    decide();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('deciding a transfer', () => {
  const transfer: Transfer = { transferId: newEventId(), from: 'account-1', to: 'account-2', amount: 40_00 };

  it('debits the payer and credits the payee, with ids derived from the transfer’s', () => {
    const { sent, received } = decideTransfer(transfer, open(100_00), open(0));
    expect(sent).toEqual({ id: transfer.transferId, type: 'TransferSent', data: { transferId: transfer.transferId, to: 'account-2', amount: 40_00 } });
    expect(received).toMatchObject({ type: 'TransferReceived', data: { transferId: transfer.transferId, from: 'account-1', amount: 40_00 } });
    expect(received.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decideTransfer(transfer, open(100_00), open(0)).received.id).toBe(received.id);
  });

  it('refuses an overdraft, to the cent, and allows the whole balance', () => {
    expect(refusalOf(() => decideTransfer(transfer, open(39_99), open(0)))).toMatchObject({ ...rejected, details: { balance: 39_99, amount: 40_00 } });
    expect(decideTransfer(transfer, open(40_00), open(0)).sent.data).toMatchObject({ amount: 40_00 });
  });

  it('refuses accounts that are not open, a transfer to the same account, amounts that are not whole cents, ids that are not UUIDs', () => {
    expect(refusalOf(() => decideTransfer(transfer, { status: 'none' }, open(0)))).toMatchObject(rejected);
    expect(refusalOf(() => decideTransfer(transfer, open(100_00), { status: 'none' }))).toMatchObject(rejected);
    expect(refusalOf(() => decideTransfer({ ...transfer, to: 'account-1' }, open(100_00), open(100_00)))).toMatchObject(rejected);
    for (const amount of [0, -1, 1.5]) expect(refusalOf(() => decideTransfer({ ...transfer, amount }, open(100_00), open(0)))).toMatchObject(rejected);
    expect(refusalOf(() => decideTransfer({ ...transfer, transferId: 'transfer-1' }, open(100_00), open(0)))).toMatchObject(rejected);
  });

  it('a transfer the payer already made is decided again as it was, even though the balance no longer covers it', () => {
    const again = decideTransfer(transfer, open(10_00, [transfer.transferId]), open(40_00, [transfer.transferId]));
    expect(again).toEqual(decideTransfer(transfer, open(100_00), open(0)));
  });
});

describe('transfers on a store', () => {
  async function withAccounts(balances: Record<string, number>, run: (store: EventStore) => Promise<void>): Promise<void> {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      for (const [stream, balance] of Object.entries(balances)) {
        await handleCommand(store, stream, account, { type: 'OpenAccount', owner: stream });
        if (balance > 0) await handleCommand(store, stream, account, { type: 'Deposit', amount: balance });
      }
      await run(store);
    } finally {
      await store.close();
    }
  }
  const balanceOf = async (store: EventStore, stream: string) => {
    const { state } = await loadState(store, stream, account);
    return state.status === 'open' ? state.balance : undefined;
  };
  const typesIn = async (store: EventStore, stream: string) => (await store.readStream(stream)).events.map((event) => event.type);
  const transfer = (amount: number): Transfer => ({ transferId: newEventId(), from: 'account-1', to: 'account-2', amount });

  it('moves money: the debit and the credit at consecutive positions of one call', () =>
    withAccounts({ 'account-1': 100_00, 'account-2': 0 }, async (store) => {
      const { result, attempts } = await transferMoney(store, transfer(30_00));
      expect(attempts).toBe(1);
      expect(result.streams.map((written) => [written.stream, written.position])).toEqual([
        ['account-1', 4],
        ['account-2', 5],
      ]);
      expect(result.position).toBe(5);
      expect([await balanceOf(store, 'account-1'), await balanceOf(store, 'account-2')]).toEqual([70_00, 30_00]);
    }));

  it('an overdraft is refused and writes nothing', () =>
    withAccounts({ 'account-1': 10_00, 'account-2': 0 }, async (store) => {
      const head = await store.headPosition();
      await expect(transferMoney(store, transfer(10_01))).rejects.toMatchObject(rejected);
      expect(await store.headPosition()).toBe(head);
    }));

  it('a deposit into the payee between the read and the write fails the whole call with WRONG_EXPECTED_REVISION: the payer is not debited', () =>
    withAccounts({ 'account-1': 100_00, 'account-2': 0 }, async (store) => {
      const raced = racedStore(store, () => store.append('account-2', [{ type: 'Deposited', data: { amount: 1 } }]));
      const failure = await transferMoney(raced, transfer(30_00)).catch((error: unknown) => error);
      expect(isTributaryError(failure, 'WRONG_EXPECTED_REVISION')).toBe(true);
      expect(failure).toMatchObject({ details: { stream: 'account-2', expected: 0, actual: 1 } });
      expect(await typesIn(store, 'account-1')).toEqual(['AccountOpened', 'Deposited']);
      expect(await balanceOf(store, 'account-1')).toBe(100_00);
    }));

  it('with retries, the transfer that lost the race loads both accounts again, decides again, and lands', () =>
    withAccounts({ 'account-1': 100_00, 'account-2': 0, 'account-3': 0 }, async (store) => {
      // another transfer out of the payer lands first, so the second decision sees the lower balance
      const raced = racedStore(store, (call) =>
        call === 1 ? transferMoney(store, { transferId: newEventId(), from: 'account-1', to: 'account-3', amount: 50_00 }) : Promise.resolve(),
      );
      const { attempts } = await transferMoney(raced, transfer(50_00), { retries: 1 });
      expect(attempts).toBe(2);
      expect([await balanceOf(store, 'account-1'), await balanceOf(store, 'account-2'), await balanceOf(store, 'account-3')]).toEqual([0, 50_00, 50_00]);
      await expect(transferMoney(store, transfer(1))).rejects.toMatchObject(rejected);
    }));

  it('a payee tombstoned between the read and the write fails the call with STREAM_DELETED, and the payer keeps its money', () =>
    withAccounts({ 'account-1': 100_00, 'account-2': 0 }, async (store) => {
      const raced = racedStore(store, () => store.tombstoneStream('account-2'));
      await expect(transferMoney(raced, transfer(30_00), { retries: 3 })).rejects.toMatchObject({ code: 'STREAM_DELETED' });
      expect(await balanceOf(store, 'account-1')).toBe(100_00);
    }));

  it('a transfer retried with the same id (its answer was lost) returns the original result and moves nothing twice', () =>
    withAccounts({ 'account-1': 50_00, 'account-2': 0 }, async (store) => {
      const once = transfer(40_00);
      const first = await transferMoney(store, once);
      const retried = await transferMoney(store, once);
      expect(retried.result).toEqual(first.result);
      expect([await balanceOf(store, 'account-1'), await balanceOf(store, 'account-2')]).toEqual([10_00, 40_00]);
      expect(await typesIn(store, 'account-2')).toEqual(['AccountOpened', 'TransferReceived']);
    }));

  it('five transfers out of one account at once: the balance covers two, three are refused, no overdraft, no money made or lost', () =>
    withAccounts({ 'account-1': 100_00, 'account-2': 0, 'account-3': 0 }, async (store) => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          transferMoney(store, { transferId: newEventId(), from: 'account-1', to: i % 2 === 0 ? 'account-2' : 'account-3', amount: 40_00 }, { retries: 10 }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(isTributaryError(outcome.reason, 'COMMAND_REJECTED')).toBe(true);
      }
      const balances = await Promise.all(['account-1', 'account-2', 'account-3'].map((stream) => balanceOf(store, stream)));
      expect(balances[0]).toBe(20_00);
      expect(balances.reduce((sum, balance) => sum! + balance!, 0)).toBe(100_00);
    }));
});
