import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import { addDeclaredProjection } from '../../src/projections/lifecycle/file-projections.js';
import { feedLakeSink } from '../../src/projections/feeding/feeders.js';
import type { RecordedEvent } from '../../src/core/event.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { consumerNameOf, lakeDirectoryOf } from '../../src/projections/definition/projection.js';
import { findDocuments } from '../../src/projections/reading/queries.js';
import { removeProjection } from '../../src/projections/lifecycle/remove.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { nameTaken } from '../../src/projections/sinks/sql-text.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends, scratch } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { withStore } from './fixtures.js';
import { steadyAppends } from './appends.js';

const FAST = { watchMs: 20, pageSize: 50, leaseMs: 2_000, heartbeatMs: 200 };

/** A lake that rolls at every event: with appends coming steadily, a roll is nearly always under way. */
function rollingLake(name: string, directory: string) {
  return { name, version: 1, sink: lakeSink({ directory, rollRows: 1, rollMs: 1 }), handlers: { '*': writeEvent } };
}

async function projectionConsumers(store: EventStore): Promise<string[]> {
  return (await store.consumers.list()).map((consumer) => consumer.name).filter((name) => name.startsWith('projection:'));
}

describe.each(backends)('removing a projection on $name', ({ location }) => {
  it('while its lake rolls, 20 times: the runner halts, nothing of it is left on disk, nothing is reported', async () => {
    await withStore(location('remove-rolling'), async (store) => {
      const directory = join(scratch, `remove-rolling-${store.sql!.dialect.name}`);
      const errors: unknown[] = [];
      const appends = steadyAppends(store, 'order');
      try {
        for (let round = 0; round < 20; round++) {
          // the same name each round: a projection removed can be run again at once
          const running = await runProjection(store, rollingLake('rolling', directory), { ...FAST, onError: (error) => errors.push(error) });
          await until(() => (readManifest(lakeDirectoryOf(directory, 'rolling', 1))?.files.length ?? 0) > round % 3, 'files are rolled', 10_000);
          await removeProjection(store, 'rolling');
          expect(existsSync(join(directory, 'rolling')), `round ${round}`).toBe(false);
          expect(running.stopped).toBe(true);
          expect(running.generations).toEqual([]);
          await running.stop();
        }
      } finally {
        await appends.stop();
      }
      // a roll that was under way does not bring a directory back later
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(readdirSync(directory)).toEqual([]);
      expect(errors).toEqual([]);
      expect(await projectionStatus(store)).toEqual([]);
      expect(await projectionConsumers(store)).toEqual([]);
    });
  });

  it('a lake feeder that finds its projection gone, before or after a roll, writes nothing more and deletes its generation', async () => {
    await withStore(location('remove-feeder'), async (store) => {
      const directory = join(scratch, `remove-feeder-${store.sql!.dialect.name}`);
      for (const gone of ['before', 'after'] as const) {
        const name = `gone_${gone}`;
        const generation = lakeDirectoryOf(directory, name, 1);
        let reads = 0;
        let removedAt = Infinity;
        const registered = () => Promise.resolve(++reads < removedAt);
        const definition = { ...rollingLake(name, directory), filter: { categories: [name] } };
        const feeder = await feedLakeSink(store, definition, 1, { pageSize: 50, onError: () => undefined, registered });
        try {
          await store.append(`${name}-1`, [{ type: 'Placed', data: {} }]);
          await until(() => (readManifest(generation)?.files.length ?? 0) === 1, 'the first roll', 10_000);
          // the next roll reads the registry twice: gone at the first read, or only at the second, after its files were written
          removedAt = reads + (gone === 'before' ? 1 : 2);
          await store.append(`${name}-1`, [{ type: 'Placed', data: {} }]);
          await until(() => !existsSync(generation), 'the feeder deletes its generation', 10_000);
          await store.append(`${name}-1`, [{ type: 'Placed', data: {} }]);
          await until(() => feeder.consumer.position >= 3, 'the feeder reads on', 10_000);
        } finally {
          await feeder.stop();
        }
        expect(existsSync(join(directory, name)), gone).toBe(false);
        expect(reads, gone).toBe(removedAt);
      }
    });
  });

  it('a removal that fails halfway leaves it unusable but finishable: adding it meanwhile is PROJECTION_BUSY, a second removal finishes', async () => {
    await withStore(location('remove-halfway'), async (store) => {
      const directory = join(scratch, `remove-halfway-${store.sql!.dialect.name}`);
      const documents = { name: 'half_table', version: 1, sink: documentSink(), handlers: { Placed: (event: RecordedEvent, docs: DocumentsContext) => docs.put(event.stream, {}) } };
      const runners = [await runProjection(store, documents, FAST), await runProjection(store, rollingLake('half_lake', directory), FAST)];
      const { position } = await store.append('order-1', [{ type: 'Placed', data: {} }]);
      for (const name of ['half_table', 'half_lake']) await waitForProjection(store, name, position);
      for (const running of runners) await running.stop();

      const remove = store.consumers.remove.bind(store.consumers);
      store.consumers.remove = () => Promise.reject(new Error('the disk went away'));
      try {
        for (const name of ['half_table', 'half_lake']) await expect(removeProjection(store, name)).rejects.toThrow('the disk went away');
      } finally {
        store.consumers.remove = remove;
      }
      // the tables are gone, the checkpoints and files are not, and nothing reads it as registered
      expect(await nameTaken(store.sql!, 'half_table')).toBe(false);
      expect(existsSync(join(directory, 'half_lake'))).toBe(true);
      expect(await projectionStatus(store)).toEqual([]);
      await expect(addDeclaredProjection(store, { name: 'half_table', version: 1, sink: 'documents' })).rejects.toSatisfy(
        (error) => isTributaryError(error, 'PROJECTION_BUSY') && error.retriable,
      );
      await expect(runProjection(store, documents, FAST)).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_BUSY'));
      await expect(runProjection(store, rollingLake('half_lake', directory), FAST)).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_BUSY'));

      for (const name of ['half_table', 'half_lake']) await removeProjection(store, name);
      expect(existsSync(join(directory, 'half_lake'))).toBe(false);
      expect(await projectionConsumers(store)).toEqual([]);
      for (const name of ['half_table', 'half_lake']) await expect(removeProjection(store, name)).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_NOT_FOUND'));
      // and it can run again, from nothing
      const again = await runProjection(store, documents, FAST);
      await waitForProjection(store, 'half_table', position);
      await again.stop();
      expect(await findDocuments(store, 'half_table', {})).toEqual([{ id: 'order-1', doc: {} }]);
      expect(await store.consumers.get(consumerNameOf('half_lake', 1))).toBeUndefined();
    });
  });
});

/** Starts lake-child.ts; resolves once it feeds the projection, with its lines so far and to come. */
async function startChild(options: { location: string; directory: string; name: string; sink: 'lake' | 'documents' }) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lake-child.ts'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(() => lines.length > 0 || child.exitCode !== null, 'the child feeds the lake', 30_000);
  return { child, lines, exited };
}

describe.each(backends)('removing a projection another process rolls, on $name', ({ location }) => {
  it('its runner there stops within watchMs, reports nothing, and deletes what it wrote after the removal: nothing is left', async () => {
    const where = location('remove-other-process');
    await withStore(where, async (store) => {
      const directory = join(scratch, `remove-other-process-${store.sql!.dialect.name}`);
      const appends = steadyAppends(store, 'order');
      try {
        for (const [round, sink] of (['lake', 'documents', 'lake'] as const).entries()) {
          const other = await startChild({ location: where, directory, name: 'elsewhere', sink });
          try {
            expect(other.lines[0]).toEqual({ running: [1] });
            const fed = async () =>
              sink === 'lake' ? (readManifest(lakeDirectoryOf(directory, 'elsewhere', 1))?.files.length ?? 0) > 0 : (await findDocuments(store, 'elsewhere', {})).length > 0;
            await until(fed, 'the other process feeds it', 10_000);
            // the other process may hold the lake busy past the retries: the removal says so, and calling it again finishes
            for (let attempt = 0; ; attempt++) {
              try {
                await removeProjection(store, 'elsewhere');
                break;
              } catch (error) {
                if (!isTributaryError(error, 'PROJECTION_BUSY') || attempt === 5) throw error;
              }
            }
            expect(await other.exited).toBe(0);
          } finally {
            other.child.kill('SIGKILL');
          }
          expect(other.lines.slice(1)).toEqual([{ stopped: true }]);
          expect(existsSync(join(directory, 'elsewhere')), `round ${round}`).toBe(false);
          for (const name of ['elsewhere', 'elsewhere_g1']) expect(await nameTaken(store.sql!, name)).toBe(false);
          expect(await projectionStatus(store)).toEqual([]);
        }
      } finally {
        await appends.stop();
      }
      expect(await projectionConsumers(store)).toEqual([]);
    });
  }, 120_000);
});
