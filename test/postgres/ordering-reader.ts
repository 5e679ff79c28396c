// A reader process for the ordering trial: pages through the global log with random page sizes,
// reporting every page it sees, until told (a line on stdin) that the writers are done and it has caught up.
import { randomInt } from 'node:crypto';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';

const [url, schema] = process.argv.slice(2) as [string, string];
const store = await openPostgresStore({ url, schema, poolSize: 2 });
let writersDone = false;
process.stdin.on('data', () => (writersDone = true));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');

let after = 0;
for (;;) {
  const done = writersDone;
  const page = await store.readAll({ after, limit: 1 + randomInt(300) });
  if (page.events.length > 0) {
    process.stdout.write(JSON.stringify({ positions: page.events.map((e) => e.position), ids: page.events.map((e) => e.id) }) + '\n');
    after = page.events[page.events.length - 1]!.position;
  }
  if (page.next !== null) continue;
  if (done) break;
  await store.waitForPosition(after, { timeoutMs: 200 });
}
await store.close();
process.stdin.destroy();
