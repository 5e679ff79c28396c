import { existsSync } from 'node:fs';
import type { RecordedEvent } from '../../core/event.js';
import { categoryOf } from '../../core/stream-name.js';
import type { EventStore } from '../../store/event-store.js';
import { startConsumer, type Consumer } from '../../subscriptions/consumer.js';
import type { ConsumerOptions } from '../../subscriptions/consumer-options.js';
import { currentReplayMode, projectionOwner, runAsOwner } from '../../subscriptions/handling.js';
import { LakeReplay, type LiveGeneration } from './lake-replay.js';
import { applyInOrder } from './apply.js';
import { consumerNameOf, handlerFor, lakeDirectoryOf, type LakeSink, type ProjectionDefinition, type SqlSink } from '../definition/projection.js';
import { applyLakeRedactions, redactionsMade } from './lake-redactions.js';
import { columnsToWrite } from '../sinks/lake.js';
import { readManifest } from '../sinks/lake-manifest.js';
import { removeLakeGeneration } from '../sinks/storage.js';

/** What feeds one generation in this process: a consumer, and for a lake the writer it fills. */
export interface Feeder {
  readonly consumer: Consumer;
  /** Rolls a lake's buffer when it is due, between events. */
  tick(): Promise<void>;
  /** Stops feeding. `removed`: the projection is gone, so a lake rolls nothing more and deletes its generation's directory. */
  stop(removed?: boolean): Promise<void>;
}

export interface FeederOptions {
  member?: string;
  pageSize: number;
  leaseMs?: number;
  heartbeatMs?: number;
  onError: (error: unknown) => void;
  /** Whether the projection is still registered: another process may remove it while a lake rolls here. */
  registered: () => Promise<boolean>;
  /** Where the live generation stands: without it a lake's handlers are never told of a rebuild. */
  liveAt?: () => Promise<LiveGeneration | undefined>;
}

/**
 * Feeds a SQL sink: each page of events is handled in one transaction of the
 * store that also moves the checkpoint, so every effect happens exactly once.
 */
export async function feedSqlSink<Context>(
  store: EventStore,
  definition: ProjectionDefinition<Context> & { sink: SqlSink<Context> },
  generation: number,
  options: FeederOptions,
): Promise<Feeder> {
  const consumer = await startConsumer(store, {
    ...consumerOptions(definition, generation, options),
    transaction: (events, tx, context) => applyInOrder(tx, definition, generation, events, context.replay !== false),
  });
  return { consumer, tick: async () => undefined, stop: async () => void (await consumer.stop()) };
}

/**
 * Feeds a lake: rows buffer in the writer and roll into Parquet files; the
 * checkpoint never passes what the manifest holds, and the writer ignores rows
 * the files already have, so a crash neither loses nor repeats a row.
 *
 * The registry is read before and after each roll. A removal committed before
 * the read after finds this writer deleting its own files; one committed later
 * deletes them itself. A roll never makes the generation's directory again, so
 * once a removal has deleted it, no roll can write there.
 */
export async function feedLakeSink<Context>(
  store: EventStore,
  definition: ProjectionDefinition<Context> & { sink: LakeSink<Context> },
  generation: number,
  options: FeederOptions,
): Promise<Feeder> {
  const { sink } = definition;
  const directory = lakeDirectoryOf(sink.directory, definition.name, generation);
  // DuckDB loads with the first lake this process feeds, not with the package
  const { LakeWriter } = await import('../sinks/lake-writer.js');
  const columns = columnsToWrite(sink.columns, readManifest(directory)?.columns);
  const owner = projectionOwner(definition.name);
  const lakeReplay = new LakeReplay(generation, options.liveAt ?? (async () => undefined));
  // a new lake reads every event redacted so far as its marker: only later redactions are its to apply
  const writer = await LakeWriter.open({ directory, columns, rollRows: sink.rollRows, rollMs: sink.rollMs, redactions: await redactionsMade(store) });
  let handling: Promise<void> | undefined;
  let rolling: Promise<void> | undefined;
  // the last event whose rows are in the buffer: a retry after a failed roll must not add them twice
  let buffered = 0;
  let removed = false;
  const abandon = async (): Promise<void> => {
    removed = true;
    await writer.discard();
    await removeLakeGeneration(directory);
  };
  const roll = async (): Promise<void> => {
    if (!(await options.registered())) return abandon();
    try {
      await writer.roll();
      await applyLakeRedactions(store, writer);
    } catch (error) {
      // the directory went with the projection under the roll: nothing to report. Looked at before the registry,
      // which a projection made again under the same name fills again; nothing is left of this generation to delete
      if (!existsSync(directory)) {
        removed = true;
        return writer.discard();
      }
      if (await options.registered()) throw error;
      return abandon();
    }
    if (!(await options.registered())) await abandon();
  };
  const handle = async (event: RecordedEvent): Promise<void> => {
    await rolling;
    if (removed) return;
    if (event.position > Math.max(writer.position, buffered)) {
      // the event's rows go in together once its handler has succeeded: a throw halfway leaves none behind
      const rows: Record<string, unknown>[] = [];
      const handler = handlerFor(definition, event.type);
      if (handler !== undefined) {
        // lake files leave the store: personal values go in encrypted, or as the forgotten marker, never in plaintext
        const sealed = store.privacy === undefined ? event : (await store.privacy.seal([event]))[0]!;
        const replay = await lakeReplay.of(event.position, currentReplayMode());
        await runAsOwner(owner, replay, () => handler(sealed, sink.context((values) => void rows.push(values))));
      }
      const day = dayOf(event.recordedAtMillis);
      const category = categoryOf(event.stream);
      for (const values of rows) writer.add({ position: event.position, day, category, values });
      writer.advance(event.position);
      buffered = event.position;
    }
    if (writer.shouldRoll()) await roll();
  };
  const consumer = await startConsumer(store, {
    ...consumerOptions(definition, generation, options),
    durableThrough: () => writer.position,
    handler: (event) => (handling = handle(event)).finally(() => (handling = undefined)),
  }).catch(async (error: unknown) => {
    // no feeder comes back to stop it: the writer's DuckDB instance is released here
    await writer.close().catch(() => undefined);
    throw error;
  });
  return {
    consumer,
    // a roll by time waits for the event in hand, so one event's rows never straddle two rolls
    async tick() {
      if (removed || handling !== undefined || rolling !== undefined) return;
      // an idle lake rolls nothing, yet a redaction must reach its files
      if (!writer.shouldRoll()) {
        rolling = applyLakeRedactions(store, writer).finally(() => (rolling = undefined));
        await rolling;
        return;
      }
      rolling = roll().finally(() => (rolling = undefined));
      await rolling;
    },
    async stop(removing = false) {
      // set first: the event in hand adds nothing more, and no roll starts
      removed ||= removing;
      await consumer.stop();
      // a roll by time that failed was reported by the look that started it
      await rolling?.catch(() => undefined);
      if (!removed) {
        try {
          await roll();
        } catch (error) {
          // DuckDB is released either way; rows not rolled are read again by whoever feeds next
          await writer.discard();
          throw error;
        }
      }
      if (removed) return abandon();
      await writer.close();
      // the last roll came after the consumer's final save; checkpoints only move forward, so this never passes another member's
      await store.consumers.saveCheckpoints(consumer.name, [{ partition: 0, position: writer.position }]);
    },
  };
}

/**
 * The consumer of one generation: one partition, so a projection sees the log in
 * order and only one process writes a generation at a time.
 */
function consumerOptions(definition: Pick<ProjectionDefinition<unknown>, 'name' | 'filter'>, generation: number, options: FeederOptions): ConsumerOptions {
  const { member, pageSize, leaseMs, heartbeatMs, onError } = options;
  return { name: consumerNameOf(definition.name, generation), filter: definition.filter, group: { partitions: 1 }, member, pageSize, leaseMs, heartbeatMs, onError };
}

const MS_PER_DAY = 86_400_000;
let lastDay: { number: number; text: string } | undefined;

/** The UTC day of a time as YYYY-MM-DD; events come day by day, so the last answer is kept. */
function dayOf(millis: number): string {
  const number = Math.floor(millis / MS_PER_DAY);
  if (lastDay?.number !== number) lastDay = { number, text: new Date(number * MS_PER_DAY).toISOString().slice(0, 10) };
  return lastDay.text;
}
