// Claims usernames unique across all users, against a real store:
//   node --import tsx examples/unique-username/run.ts [database]
import { handleQueryCommand, isTributaryError, openStore } from '../../src/index.js';
import { usernames, usernameTag, type UsernameCommand } from './username.js';

const store = await openStore(process.argv[2] ?? './data/unique-username.db');
// a fresh name per run, so the example runs again on the same file
const name = `ada${Date.now()}`;

async function attempt(command: UsernameCommand): Promise<void> {
  try {
    const { events } = await handleQueryCommand(store, usernames, command, { retries: 3 });
    console.log(`${command.type} by user ${command.userId}: ${events.map((event) => event.type).join(', ') || 'nothing to do'}`);
  } catch (error) {
    if (!isTributaryError(error, 'COMMAND_REJECTED')) throw error;
    console.log(`${command.type} by user ${command.userId}: refused, ${error.message}`);
  }
}

try {
  // three users ask for the same name at the same moment: one gets it
  await Promise.all(['1', '2', '3'].map((userId) => attempt({ type: 'ClaimUsername', userId, username: name })));
  const [winner] = (await store.readAll({ tags: [usernameTag(name)] })).events;
  const holder = (winner!.data as { userId: string }).userId;
  await attempt({ type: 'RenameUser', userId: holder, from: name, to: `${name}-lovelace` });
  await attempt({ type: 'ClaimUsername', userId: holder === '1' ? '2' : '1', username: name.toUpperCase() });
  for (const event of (await store.readAll({ tags: [usernameTag(name)] })).events) {
    console.log(`${event.position} — ${event.stream} — ${event.type} — ${event.tags.join(', ')}`);
  }
} finally {
  await store.close();
}
