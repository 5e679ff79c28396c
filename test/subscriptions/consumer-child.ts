// A consumer in its own process, for the crash and group tests: it writes one line per handled event to
// its output file (appendFileSync: the line is in the kernel before the handler returns, so a SIGKILL
// cannot lose it) and stops cleanly on SIGTERM.
import { appendFileSync } from 'node:fs';
import { openStore } from '../../src/open/open-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';

interface ChildOptions {
  location: string;
  name: string;
  out: string;
  member?: string;
  partitions?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  checkpointEvents?: number;
  /** Busy time per event, so a member holds its partitions long enough to be killed mid-work. */
  workMicros?: number;
}

const options = JSON.parse(process.argv[2]!) as ChildOptions;
const store = await openStore(options.location);
const now = () => performance.timeOrigin + performance.now();

const consumer = await startConsumer(store, {
  name: options.name,
  member: options.member,
  group: options.partitions === undefined ? undefined : { partitions: options.partitions },
  leaseMs: options.leaseMs ?? 2_000,
  heartbeatMs: options.heartbeatMs ?? 250,
  checkpointEvents: options.checkpointEvents ?? 50,
  checkpointMs: 200,
  handler: (event, context) => {
    const started = now();
    if (options.workMicros !== undefined) while (now() - started < options.workMicros / 1000);
    const line = { m: context.member, s: event.stream, r: event.revision, p: event.position, t0: started, t1: now() };
    appendFileSync(options.out, JSON.stringify(line) + '\n');
  },
  onError: (error) => process.stderr.write(`consumer ${options.member ?? ''}: ${String(error)}\n`),
});
process.stdout.write(JSON.stringify({ ready: consumer.member }) + '\n');

process.once('SIGTERM', () => {
  void consumer.stop().then(async (outcome) => {
    await store.close();
    process.exit(outcome.state === 'stopped' ? 0 : 1);
  });
});
