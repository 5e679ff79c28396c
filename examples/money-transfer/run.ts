// Transfers between account streams, against a real store:
//   node --import tsx examples/money-transfer/run.ts [database]
import { handleCommand, isTributaryError, loadState, newEventId, openStore } from '../../src/index.js';
import { account } from './account.js';
import { transferMoney, type Transfer } from './transfer.js';

const store = await openStore(process.argv[2] ?? './data/money-transfer.db');
// fresh accounts per run, so the example runs again on the same file
const run = Date.now();
const alice = `account-${run}a`;
const bob = `account-${run}b`;
const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

async function balances(): Promise<string> {
  const [a, b] = await Promise.all([loadState(store, alice, account), loadState(store, bob, account)]);
  const balance = (state: typeof a.state) => (state.status === 'open' ? dollars(state.balance) : 'closed');
  return `alice ${balance(a.state)}, bob ${balance(b.state)}`;
}

async function attempt(transfer: Transfer): Promise<void> {
  try {
    const { result, attempts } = await transferMoney(store, transfer, { retries: 5 });
    console.log(`${dollars(transfer.amount)} sent at positions ${result.streams.map((s) => s.position).join(' and ')} after ${attempts} attempt(s)`);
  } catch (error) {
    if (!isTributaryError(error, 'COMMAND_REJECTED')) throw error;
    console.log(`${dollars(transfer.amount)} refused: ${error.message}`);
  }
}

try {
  await handleCommand(store, alice, account, { type: 'OpenAccount', owner: 'Alice' });
  await handleCommand(store, alice, account, { type: 'Deposit', amount: 100_00 });
  await handleCommand(store, bob, account, { type: 'OpenAccount', owner: 'Bob' });
  console.log(await balances());
  // three transfers of $40 at the same moment: the losers of each race load again, and the third finds too little
  await Promise.all([1, 2, 3].map(() => attempt({ transferId: newEventId(), from: alice, to: bob, amount: 40_00 })));
  // a retry of a transfer whose answer was lost moves nothing twice
  const once: Transfer = { transferId: newEventId(), from: bob, to: alice, amount: 5_00 };
  await attempt(once);
  await attempt(once);
  console.log(await balances());
} finally {
  await store.close();
}
