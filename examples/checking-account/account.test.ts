import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/entry/sqlite.js';
import { given } from '../../src/entry/testing.js';
import { handleCommand, isTributaryError, loadState } from '../../src/index.js';
import { account, type AccountEvent } from './account.js';

const opened = (balance: number): AccountEvent => ({
  type: 'AccountOpened',
  data: { accountId: 'account-12345', owner: 'Damon Allison', balance },
});
const withdrawn = (amount: number): AccountEvent => ({ type: 'Withdrawn', data: { amount } });
const deposited = (amount: number): AccountEvent => ({ type: 'Deposited', data: { amount } });
const rejected = (error: { code?: string }) => error.code === 'COMMAND_REJECTED';

describe('checking account (given / when / then)', () => {
  it('opens an account with an initial deposit', () => {
    given(account, [])
      .when({ type: 'OpenAccount', accountId: 'account-12345', owner: 'Damon Allison', initialDeposit: 500_00 })
      .then([opened(500_00)]);
  });

  it('refuses to open an account twice', () => {
    given(account, [opened(500_00)])
      .when({ type: 'OpenAccount', accountId: 'account-12345', owner: 'Someone', initialDeposit: 0 })
      .thenThrows(rejected);
  });

  it('withdraws what the balance covers', () => {
    given(account, [opened(500_00)]).when({ type: 'Withdraw', amount: 100_00 }).then([withdrawn(100_00)]);
  });

  it('withdraws the whole balance, to the cent', () => {
    given(account, [opened(500_00), withdrawn(100_00), deposited(800_00)])
      .when({ type: 'Withdraw', amount: 1200_00 })
      .then([withdrawn(1200_00)]);
  });

  it('refuses an overdraft', () => {
    given(account, [opened(500_00), withdrawn(100_00)]).when({ type: 'Withdraw', amount: 400_01 }).thenThrows(rejected);
  });

  it('takes deposits', () => {
    given(account, [opened(500_00), withdrawn(100_00)]).when({ type: 'Deposit', amount: 800_00 }).then([deposited(800_00)]);
  });

  it('refuses money movements on an account that was never opened', () => {
    given(account, []).when({ type: 'Deposit', amount: 1 }).thenThrows(rejected);
  });

  it('refuses amounts that are not whole positive cents', () => {
    for (const amount of [0, -5, 1.5]) {
      given(account, [opened(500_00)]).when({ type: 'Deposit', amount }).thenThrows(rejected);
    }
  });
});

describe('checking account on a store', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-account-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('runs the story, refuses the overdraft, and answers what the balance was at revision 1', async () => {
    const store = openSqliteStore({ path: join(folder, 'story.db') });
    try {
      const stream = 'account-12345';
      await handleCommand(store, stream, account, { type: 'OpenAccount', accountId: stream, owner: 'Damon Allison', initialDeposit: 500_00 });
      await handleCommand(store, stream, account, { type: 'Withdraw', amount: 100_00 });
      const last = await handleCommand(store, stream, account, { type: 'Deposit', amount: 800_00 });
      expect(last.state).toEqual({ status: 'open', owner: 'Damon Allison', balance: 1200_00 });
      expect(last.result?.nextExpectedRevision).toBe(2);
      await expect(handleCommand(store, stream, account, { type: 'Withdraw', amount: 1200_01 })).rejects.toMatchObject({
        code: 'COMMAND_REJECTED',
        details: { balance: 1200_00, amount: 1200_01 },
      });
      expect((await store.readStream(stream)).events.map((e) => e.type)).toEqual(['AccountOpened', 'Withdrawn', 'Deposited']);
      expect((await loadState(store, stream, account, { untilRevision: 1 })).state).toMatchObject({ balance: 400_00 });
      expect((await loadState(store, stream, account, { untilRevision: 0 })).state).toMatchObject({ balance: 500_00 });
      expect(await loadState(store, stream, account)).toMatchObject({ revision: 2, state: { balance: 1200_00 } });
    } finally {
      await store.close();
    }
  });

  it('two tellers racing on one account: the loser retries on fresh state and no overdraft slips through', async () => {
    const store = openSqliteStore({ path: join(folder, 'race.db') });
    try {
      const stream = 'account-1';
      await handleCommand(store, stream, account, { type: 'OpenAccount', accountId: stream, owner: 'D', initialDeposit: 100_00 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, () => handleCommand(store, stream, account, { type: 'Withdraw', amount: 40_00 }, { retries: 5 })),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(isTributaryError(outcome.reason, 'COMMAND_REJECTED')).toBe(true);
      }
      expect((await loadState(store, stream, account)).state).toMatchObject({ balance: 20_00 });
    } finally {
      await store.close();
    }
  });

  it('without retries, the loser of a race sees WRONG_EXPECTED_REVISION', async () => {
    const store = openSqliteStore({ path: join(folder, 'no-retry.db') });
    try {
      const stream = 'account-2';
      await handleCommand(store, stream, account, { type: 'OpenAccount', accountId: stream, owner: 'D', initialDeposit: 100_00 });
      const outcomes = await Promise.allSettled([
        handleCommand(store, stream, account, { type: 'Deposit', amount: 1 }),
        handleCommand(store, stream, account, { type: 'Deposit', amount: 2 }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failure = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(isTributaryError(failure.reason, 'WRONG_EXPECTED_REVISION')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a long-lived account loads from its snapshot: the state equals a fold of every event, and a stale snapshot version is ignored', async () => {
    const store = openSqliteStore({ path: join(folder, 'snapshots.db') });
    try {
      const stream = 'account-4';
      await handleCommand(store, stream, account, { type: 'OpenAccount', accountId: stream, owner: 'D', initialDeposit: 0 });
      for (let day = 1; day <= 45; day++) await handleCommand(store, stream, account, { type: 'Deposit', amount: day });
      const snapshot = await store.snapshots.read(stream, 'account');
      expect(snapshot).toMatchObject({ version: 1, fromRevision: 0 });
      expect(snapshot!.revision).toBeGreaterThanOrEqual(45 - 20);
      const withoutSnapshots = { ...account, snapshot: undefined };
      const expected = { state: { status: 'open', owner: 'D', balance: (45 * 46) / 2 }, revision: 45 };
      expect(await loadState(store, stream, withoutSnapshots)).toEqual(expected);
      expect(await loadState(store, stream, account)).toEqual(expected);
      // a snapshot written by another version of evolve is not trusted
      await store.snapshots.write({ ...snapshot!, version: 0, state: JSON.stringify({ status: 'open', owner: 'D', balance: -1 }) });
      expect(await loadState(store, stream, account)).toEqual(expected);
    } finally {
      await store.close();
    }
  });

  it('stamps command metadata on the events it causes', async () => {
    const store = openSqliteStore({ path: join(folder, 'metadata.db') });
    try {
      await handleCommand(store, 'account-3', account, { type: 'OpenAccount', accountId: 'account-3', owner: 'D', initialDeposit: 0 }, {
        metadata: { correlationId: 'request-7', user: 'teller-1' },
      });
      const [event] = (await store.readStream('account-3')).events;
      expect(event!.metadata).toEqual({ correlationId: 'request-7', user: 'teller-1' });
    } finally {
      await store.close();
    }
  });
});
