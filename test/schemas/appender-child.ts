// An appender in its own process, for the test that a registry change reaches every process within a second:
// it appends the same event every 20 ms, which the parent's schemas refuse or accept in turn, and prints each outcome.
import { openStore } from '../../src/open/open-store.js';

const { location } = JSON.parse(process.argv[2]!) as { location: string };
const store = await openStore(location);
process.stdout.write('ready\n');
for (;;) {
  const outcome = await store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 7 } }]).then(
    () => 'stored',
    (error: { code?: string }) => error.code ?? 'error',
  );
  process.stdout.write(`${Date.now()} ${outcome}\n`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
