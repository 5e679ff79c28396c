// A process that runs a projection for the removal test, a lake rolling at every event or documents: it
// prints "running" once it feeds, any error it is told of, and "stopped" once it finds the projection removed.
import { openStore } from '../../src/open/open-store.js';
import type { RecordedEvent } from '../../src/core/event.js';
import type { ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { lakeSink, writeEvent, type LakeContext } from '../../src/projections/sinks/lake.js';

const options = JSON.parse(process.argv[2]!) as { location: string; directory: string; name: string; sink: 'lake' | 'documents' };
const { location, directory, name } = options;
const print = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');
const store = await openStore(location);
const lake: ProjectionDefinition<LakeContext> = { name, version: 1, sink: lakeSink({ directory, rollRows: 1, rollMs: 1 }), handlers: { '*': writeEvent } };
const documents: ProjectionDefinition<DocumentsContext> = {
  name,
  version: 1,
  sink: documentSink(),
  handlers: { '*': (event: RecordedEvent, docs: DocumentsContext) => docs.put(event.stream, event.position) },
};
const runOptions = { watchMs: 50, onError: (error: unknown) => print({ error: String(error) }) };
const running = options.sink === 'lake' ? await runProjection(store, lake, runOptions) : await runProjection(store, documents, runOptions);
print({ running: running.generations });
while (!running.stopped) await new Promise((resolve) => setTimeout(resolve, 10));
print({ stopped: true });
await running.stop();
await store.close();
