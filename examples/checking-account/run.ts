// Runs the story of account #12345 against a real store:
//   node --import tsx examples/checking-account/run.ts [database]
import { handleCommand, isTributaryError, loadState, openStore } from '../../src/index.js';
import { account } from './account.js';

const store = await openStore(process.argv[2] ?? './data/checking-account.db');
const stream = `account-${Date.now()}`;
const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

try {
  await handleCommand(store, stream, account, { type: 'OpenAccount', accountId: stream, owner: 'Damon Allison', initialDeposit: 500_00 });
  await handleCommand(store, stream, account, { type: 'Withdraw', amount: 100_00 });
  await handleCommand(store, stream, account, { type: 'Deposit', amount: 800_00 });
  try {
    await handleCommand(store, stream, account, { type: 'Withdraw', amount: 5_000_00 });
  } catch (error) {
    if (!isTributaryError(error, 'COMMAND_REJECTED')) throw error;
    console.log(`refused: ${error.message}`);
  }

  for (const event of (await store.readStream(stream)).events) {
    console.log(`${event.position} — ${event.type} — ${JSON.stringify(event.data)}`);
  }
  // a month of small deposits: every 20 events the account keeps a snapshot, so loads stay short
  for (let day = 1; day <= 30; day++) await handleCommand(store, stream, account, { type: 'Deposit', amount: 1_00 });
  const snapshot = await store.snapshots?.read(stream, 'account');
  if (snapshot) console.log(`snapshot kept at revision ${snapshot.revision}: ${snapshot.state}`);
  const now = await loadState(store, stream, account);
  const then = await loadState(store, stream, account, { untilRevision: 1 });
  if (now.state.status === 'open' && then.state.status === 'open') {
    console.log(`balance now: ${dollars(now.state.balance)}; after revision 1 it was ${dollars(then.state.balance)}`);
  }
} finally {
  await store.close();
}
