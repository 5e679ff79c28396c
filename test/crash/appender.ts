// A child process for the crash test: appends random batches as fast as it can, several at a time,
// and reports each batch before it is submitted ("intent") and after it is acknowledged ("ack").
import { randomInt, randomUUID } from 'node:crypto';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { isTributaryError } from '../../src/core/errors.js';

const [path, name] = process.argv.slice(2) as [string, string];
const store = openSqliteStore({ path });
let batch = 0;

function report(line: object): void {
  // a pipe to the parent is written synchronously on Linux: once this returns, a SIGKILL cannot lose the line
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function loop(): Promise<never> {
  for (;;) {
    const id = `${name}:${batch++}`;
    const stream = `crash-${randomInt(20)}`;
    const events = Array.from({ length: 1 + randomInt(20) }, (_, index) => ({
      id: randomUUID(),
      type: 'Written',
      data: { batch: id, index, padding: 'x'.repeat(randomInt(2000)) },
    }));
    report({ intent: id, stream, ids: events.map((e) => e.id) });
    try {
      const result = await store.append(stream, events);
      report({ ack: id, revisions: result.events.map((e) => e.revision) });
    } catch (error) {
      if (!isTributaryError(error, 'STORE_BUSY')) throw error;
    }
  }
}

report({ ready: name });
await Promise.all([loop(), loop(), loop(), loop()]);
