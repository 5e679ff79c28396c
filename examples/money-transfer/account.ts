// An account is one stream, and its own rules (open once, deposit whole cents) are a
// single-stream decider. A transfer touches two accounts; transfer.ts writes both at once.
import { rejectCommand, type Decider, type DomainEvent } from '../../src/index.js';

/** Amounts are whole cents: money never goes through floating point. */
export type AccountEvent =
  | DomainEvent<'AccountOpened', { owner: string }>
  | DomainEvent<'Deposited', { amount: number }>
  | DomainEvent<'TransferSent', { transferId: string; to: string; amount: number }>
  | DomainEvent<'TransferReceived', { transferId: string; from: string; amount: number }>;

export type AccountCommand = { type: 'OpenAccount'; owner: string } | { type: 'Deposit'; amount: number };

export type AccountState =
  | { status: 'none' }
  /** `transfers`: the ids of the transfers the account took part in, so a retried transfer is recognised. */
  | { status: 'open'; owner: string; balance: number; transfers: string[] };

export const account: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'AccountOpened') return { status: 'open', owner: event.data.owner, balance: 0, transfers: [] };
    if (state.status !== 'open') return state;
    switch (event.type) {
      case 'Deposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'TransferSent':
        return { ...state, balance: state.balance - event.data.amount, transfers: [...state.transfers, event.data.transferId] };
      case 'TransferReceived':
        return { ...state, balance: state.balance + event.data.amount, transfers: [...state.transfers, event.data.transferId] };
    }
  },

  decide(command, state) {
    if (command.type === 'OpenAccount') {
      if (state.status === 'open') throw rejectCommand('the account is already open');
      return { type: 'AccountOpened', data: { owner: command.owner } };
    }
    if (state.status !== 'open') throw rejectCommand('the account is not open');
    assertCents(command.amount);
    return { type: 'Deposited', data: { amount: command.amount } };
  },
};

export function assertCents(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 1) throw rejectCommand('an amount is a whole number of cents above zero', { amount });
}
