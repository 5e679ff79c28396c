// Appends `count` 1 KB events, one per call, `intervalMs` apart, each carrying the time its append began,
// for the latency benchmark's cross-process case.
import { openStore } from '../../src/open/open-store.js';
import { payload } from './scenarios.js';

const { location, count, intervalMs } = JSON.parse(process.argv[2]!) as { location: string; count: number; intervalMs: number };
const store = await openStore(location);
const now = () => performance.timeOrigin + performance.now();
for (let i = 0; i < count; i++) {
  await store.append(`latency-${i % 10}`, [{ type: 'Pinged', data: { ...payload(i), sentAt: now() } }]);
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
await store.close();
