// A process that runs a lake projection rolling at every event, for the removal test: it prints
// "running" once it feeds, any error it is told of, and "stopped" once it finds the projection removed.
import { openStore } from '../../src/backends/open-store.js';
import { runProjection } from '../../src/projections/runner.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';

const { location, directory, name } = JSON.parse(process.argv[2]!) as { location: string; directory: string; name: string };
const print = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');
const store = await openStore(location);
const running = await runProjection(
  store,
  { name, version: 1, sink: lakeSink({ directory, rollRows: 1, rollMs: 1 }), handlers: { '*': writeEvent } },
  { watchMs: 50, onError: (error) => print({ error: String(error) }) },
);
print({ running: running.generations });
while (!running.stopped) await new Promise((resolve) => setTimeout(resolve, 10));
print({ stopped: true });
await running.stop();
await store.close();
