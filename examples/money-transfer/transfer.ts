// A transfer debits one account stream and credits another. Both events are written by one
// appendMany, each under the revision of the account it was decided on: both land or neither,
// and a transfer decided on a balance that changed meanwhile fails and is decided again.
import { createHash } from 'node:crypto';
import {
  isEventId,
  isTributaryError,
  loadState,
  rejectCommand,
  type AppendManyResult,
  type EventData,
  type EventStore,
  type LoadedState,
} from '../../src/index.js';
import { account, assertCents, type AccountEvent, type AccountState } from './account.js';

export interface Transfer {
  /** A UUID the caller picks once per transfer: a retry with the same id never moves the money twice. */
  transferId: string;
  from: string;
  to: string;
  amount: number;
}

export interface TransferOptions {
  /** How many times to load and decide again after another writer changed one of the accounts. Default 0. */
  retries?: number;
}

export interface TransferOutcome {
  result: AppendManyResult;
  /** 1 when the first decision stood; more when a concurrent writer made it load and decide again. */
  attempts: number;
}

type Decided = EventData & AccountEvent;

/** The debit and the credit of a transfer, or COMMAND_REJECTED. Pure: both states are given. */
export function decideTransfer(transfer: Transfer, from: AccountState, to: AccountState): { sent: Decided; received: Decided } {
  const { transferId, amount } = transfer;
  if (!isEventId(transferId)) throw rejectCommand('a transfer id is a UUID', { transferId });
  if (transfer.from === transfer.to) throw rejectCommand('a transfer needs two different accounts');
  assertCents(amount);
  if (from.status !== 'open') throw rejectCommand('the paying account is not open', { account: transfer.from });
  if (to.status !== 'open') throw rejectCommand('the receiving account is not open', { account: transfer.to });
  const sent: Decided = { id: transferId, type: 'TransferSent', data: { transferId, to: transfer.to, amount } };
  const received: Decided = { id: receivedId(transferId), type: 'TransferReceived', data: { transferId, from: transfer.from, amount } };
  // a transfer already made decides the same events again, and the store answers with where they landed
  if (from.transfers.includes(transferId)) return { sent, received };
  if (amount > from.balance) throw rejectCommand('insufficient funds: overdrafts are refused', { balance: from.balance, amount });
  return { sent, received };
}

/**
 * Loads both accounts, decides, and appends the debit and the credit in one
 * call, each under the revision it was decided on. Another writer on either
 * account makes the call fail with WRONG_EXPECTED_REVISION, writing nothing;
 * with `retries` it loads and decides again.
 */
export async function transferMoney(store: EventStore, transfer: Transfer, options: TransferOptions = {}): Promise<TransferOutcome> {
  const retries = options.retries ?? 0;
  for (let attempt = 1; ; attempt++) {
    const [from, to] = await Promise.all([loadState(store, transfer.from, account), loadState(store, transfer.to, account)]);
    const { sent, received } = decideTransfer(transfer, from.state, to.state);
    try {
      const result = await store.appendMany([
        { stream: transfer.from, expectedRevision: revisionOf(from), events: [sent] },
        { stream: transfer.to, expectedRevision: revisionOf(to), events: [received] },
      ]);
      return { result, attempts: attempt };
    } catch (error) {
      if (attempt <= retries && isTributaryError(error, 'WRONG_EXPECTED_REVISION')) continue;
      throw error;
    }
  }
}

function revisionOf(loaded: LoadedState<AccountState>): number | 'no_stream' {
  return loaded.revision < 0 ? 'no_stream' : loaded.revision;
}

/** The credit's id, derived from the transfer's: one id names one event, and a retry derives the same one. */
function receivedId(transferId: string): string {
  const hex = createHash('sha256').update(`${transferId.toLowerCase()}/received`).digest('hex');
  // version 8 (an id of the application's own making) and the RFC 9562 variant
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
