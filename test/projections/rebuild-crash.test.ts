import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { consumerNameOf } from '../../src/projections/definition/projection.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { backends } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { expectedTallies, tallies, tallyRows } from './fixtures.js';

const STREAMS = 40;
const PER_STREAM = 100;

/** Starts the projector child; resolves with its first line (the rebuild it asked for) and a way to read the rest. */
function startProjector(location: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'projector-child.ts'), JSON.stringify({ location, workMicros: 400 })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: unknown[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

describe.each(backends)('a rebuild on $name', ({ location: locationFor }) => {
  it('killed with SIGKILL midway resumes where it was, and the SQL sink shows each event exactly once', async () => {
    const location = locationFor('rebuild-crash');
    const store = await openStore(location);
    try {
      for (let s = 0; s < STREAMS; s++) {
        await store.append(`shard-${s}`, Array.from({ length: PER_STREAM }, (_, n) => ({ type: 'Counted', data: { n } })));
      }
      // generation 1 built first, quickly, in this process
      const first = await runProjection(store, tallies('killed'), { watchMs: 50 });
      await waitForProjection(store, 'killed', await store.headPosition(), { timeoutMs: 30_000 });
      await first.stop();

      const doomed = startProjector(location);
      const building = consumerNameOf('killed', 2);
      const checkpointOf = async () => (await store.consumers.get(building))?.partitions[0]?.checkpoint ?? 0;
      await until(async () => (await checkpointOf()) > STREAMS * PER_STREAM * 0.2, 'the rebuild is a fifth done', 60_000);
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const reachedBeforeKill = await checkpointOf();
      expect(reachedBeforeKill).toBeLessThan(STREAMS * PER_STREAM);
      expect(doomed.lines).toEqual([{ generation: 2, resumed: false }]);

      const second = startProjector(location);
      expect(await second.exited).toBe(0);
      // it went on from the killed one's checkpoint instead of starting the generation again
      expect(second.lines).toEqual([{ generation: 2, resumed: true }, { switched: 2 }]);
      expect(await tallyRows(store, 'killed')).toEqual(expectedTallies(STREAMS, PER_STREAM));
    } finally {
      await store.close();
    }
  }, 120_000);
});
