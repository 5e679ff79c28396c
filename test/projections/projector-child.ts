// A projector in its own process, for the crash test: it runs the tallies projection slowly, asks for a
// rebuild (or resumes the one under way), prints what it sees as JSON lines, and exits once readers switched.
import { openStore } from '../../src/open/open-store.js';
import type { RecordedEvent } from '../../src/core/event.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import type { TableContext } from '../../src/projections/sinks/table.js';
import { tallies } from './fixtures.js';

const { location, workMicros } = JSON.parse(process.argv[2]!) as { location: string; workMicros: number };
const store = await openStore(location);
const definition = tallies('killed');
const counted = definition.handlers['Counted']!;
const slow = {
  ...definition,
  handlers: {
    // busy time per event, so the rebuild lasts long enough to be killed midway
    Counted: (event: RecordedEvent, context: TableContext) => {
      const started = performance.now();
      while (performance.now() - started < workMicros / 1000);
      return counted(event, context);
    },
  },
};
const running = await runProjection(store, slow, { watchMs: 50, pageSize: 50, leaseMs: 1_000, heartbeatMs: 100 });
const rebuild = await requestRebuild(store, 'killed');
process.stdout.write(JSON.stringify(rebuild) + '\n');
for (;;) {
  const [status] = await projectionStatus(store);
  if (status!.generation === rebuild.generation) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await running.stop();
await store.close();
process.stdout.write(JSON.stringify({ switched: rebuild.generation }) + '\n');
