// One member of a consumer group for the group benchmark: handles events with `handlerMs` of
// simulated I/O each, and stops on SIGTERM.
import { openStore } from '../../src/open/open-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';

const { location, name, partitions, handlerMs } = JSON.parse(process.argv[2]!) as {
  location: string;
  name: string;
  partitions: number;
  handlerMs: number;
};
const store = await openStore(location);
const consumer = await startConsumer(store, {
  name,
  group: { partitions },
  start: 'end',
  leaseMs: 2_000,
  heartbeatMs: 200,
  // the measurement ends when the stored checkpoint reaches the head: keep the checkpoint close behind
  checkpointMs: 50,
  handler: handlerMs === 0 ? () => undefined : () => new Promise((resolve) => setTimeout(resolve, handlerMs)),
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void consumer.stop().then(() => store.close()).then(() => process.exit(0)));
