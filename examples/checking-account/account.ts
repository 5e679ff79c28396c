// The checking account of the background story: "When I create a new account, a Create event is
// created and stored into an event log. I withdraw money from the account, a Withdrawal event is
// stored into the event log. I deposit money, a Deposit event is stored into the event log."
import { rejectCommand, type Decider, type DomainEvent } from '../../src/index.js';

/** Amounts are whole cents: money never goes through floating point. */
export type AccountEvent =
  | DomainEvent<'AccountOpened', { accountId: string; owner: string; balance: number }>
  | DomainEvent<'Withdrawn', { amount: number }>
  | DomainEvent<'Deposited', { amount: number }>;

export type AccountCommand =
  | { type: 'OpenAccount'; accountId: string; owner: string; initialDeposit: number }
  | { type: 'Withdraw'; amount: number }
  | { type: 'Deposit'; amount: number };

export type AccountState = { status: 'none' } | { status: 'open'; owner: string; balance: number };

export const account: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: () => ({ status: 'none' }),

  // a busy account has thousands of events: a load starts from the snapshot and folds at most 20 more
  // (bump the version when evolve or the state's shape changes, and older snapshots are ignored)
  snapshot: { name: 'account', version: 1, every: 20 },

  evolve(state, event) {
    switch (event.type) {
      case 'AccountOpened':
        return { status: 'open', owner: event.data.owner, balance: event.data.balance };
      case 'Withdrawn':
        return state.status === 'open' ? { ...state, balance: state.balance - event.data.amount } : state;
      case 'Deposited':
        return state.status === 'open' ? { ...state, balance: state.balance + event.data.amount } : state;
    }
  },

  decide(command, state) {
    if (command.type === 'OpenAccount') {
      if (state.status === 'open') throw rejectCommand('the account is already open');
      assertAmount(command.initialDeposit, true);
      return [
        {
          type: 'AccountOpened',
          data: { accountId: command.accountId, owner: command.owner, balance: command.initialDeposit },
        },
      ];
    }
    if (state.status !== 'open') throw rejectCommand('the account is not open');
    assertAmount(command.amount, false);
    if (command.type === 'Deposit') return [{ type: 'Deposited', data: { amount: command.amount } }];
    if (command.amount > state.balance) {
      throw rejectCommand('insufficient funds: overdrafts are refused', { balance: state.balance, amount: command.amount });
    }
    return [{ type: 'Withdrawn', data: { amount: command.amount } }];
  },
};

function assertAmount(amount: number, zeroAllowed: boolean): void {
  if (!Number.isSafeInteger(amount) || amount < (zeroAllowed ? 0 : 1)) {
    throw rejectCommand(`amount must be a whole number of cents${zeroAllowed ? '' : ' above zero'}`, { amount });
  }
}
