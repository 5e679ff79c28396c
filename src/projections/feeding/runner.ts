import { isTributaryError } from '../../core/errors.js';
import { settleAll } from '../../core/settle-all.js';
import type { UntypedEvents } from '../../core/event.js';
import type { EventStore } from '../../store/event-store.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { feedLakeSink, feedSqlSink, type Feeder, type FeederOptions } from './feeders.js';
import { generationReached } from '../lifecycle/progress.js';
import { consumerNameOf, defineProjection, invalidProjection, type ProjectionDefinition } from '../definition/projection.js';
import { claimProjection } from '../lifecycle/claim.js';
import { inlineHook } from './inline-hook.js';
import type { LiveGeneration } from './lake-replay.js';
import { allows, changesOf, dropCandidate, generationsFed, switchCandidate } from '../lifecycle/generation-states.js';
import { trackRunner, type LocalRunner } from '../lifecycle/local-runners.js';
import { getProjection, sqlOf, switchGenerations, updateProjection, type ProjectionRecord } from '../lifecycle/registry.js';
import { dropLakeFiles, dropStorage, ensureStorage, publishStorage } from '../sinks/storage.js';

export interface RunProjectionOptions {
  /** This process's member name in the generation's consumer group. */
  member?: string;
  /** Events per transaction; default 1,000. */
  pageSize?: number;
  /** How often the registry is looked at for a rebuild to join, a switch or a generation to drop; default 1,000 ms. */
  watchMs?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  /** Errors the projection recovers from by itself, for logging. */
  onError?: (error: unknown) => void;
  /** Called after this process switched readers to a new generation. */
  onSwitch?: (generation: number) => void;
  /** The declarative file this projection came from, kept in the registry so the CLI and the server can run it. */
  declared?: unknown;
  /**
   * Also apply each append of this store handle in the append's own transaction,
   * so a read right after it sees its effect, and a handler's throw fails it. The
   * consumer still runs: it builds from history and backs up appends made
   * without the projection. SQL sinks only.
   */
  inline?: boolean;
}

export interface RunningProjection {
  readonly name: string;
  /** The generations this process feeds right now. */
  readonly generations: readonly number[];
  /** Whether it stopped: by `stop()`, or by itself because the projection was removed. */
  readonly stopped: boolean;
  /** Stops feeding; checkpoints are saved, a lake's buffer is rolled. */
  stop(): Promise<void>;
}

/**
 * Runs a projection in this process: registers it, feeds the generation
 * readers see, and joins any rebuild of it. Many processes may run the same
 * projection: one feeds each generation at a time, the others stand by.
 * A new `version` starts a rebuild side by side; readers switch when it has caught up.
 *
 * ```ts
 * const running = await runProjection(store, orders);
 * await running.stop();
 * ```
 */
export async function runProjection<Context, Events extends object = UntypedEvents>(
  store: EventStore,
  definition: ProjectionDefinition<Context, NoInfer<Events>>,
  options: RunProjectionOptions = {},
): Promise<RunningProjection> {
  const settled = defineProjection<Context, Events>(definition) as ProjectionDefinition<unknown>;
  const runner = new ProjectionRunner(store, sqlOf(store, settled.name), settled, options);
  await runner.start();
  return runner;
}

class ProjectionRunner implements RunningProjection, LocalRunner {
  readonly name: string;
  readonly #store: EventStore;
  readonly #sql: SqlAccess;
  readonly #definition: ProjectionDefinition<unknown>;
  readonly #options: RunProjectionOptions;
  readonly #feeders = new Map<number, Feeder>();
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<void> | undefined;
  #removeHook: (() => void) | undefined;
  #untrack: (() => void) | undefined;
  #stopped = false;
  // registered by this runner once: from then on a missing record means someone removed the projection
  #claimed = false;
  #removed = false;

  constructor(store: EventStore, sql: SqlAccess, definition: ProjectionDefinition<unknown>, options: RunProjectionOptions) {
    this.name = definition.name;
    this.#store = store;
    this.#sql = sql;
    this.#definition = definition;
    this.#options = options;
  }

  get generations(): readonly number[] {
    return [...this.#feeders.keys()];
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async start(): Promise<void> {
    const definition = this.#definition;
    if (this.#options.inline === true && definition.sink.storage !== 'sql') {
      throw invalidProjection(this.name, 'sink', 'of an inline projection must live in the store database (table, documents or search)');
    }
    // tracked before the first look, so a removal in this process halts whatever that look starts
    this.#untrack = trackRunner(this.#sql, this.name, this);
    const first = this.#look();
    this.#looking = first.catch(() => undefined);
    try {
      await first;
    } catch (error) {
      await this.#windDown(false);
      throw error;
    } finally {
      this.#looking = undefined;
    }
    if (this.#stopped) return;
    if (this.#options.inline === true && definition.sink.storage === 'sql') {
      this.#removeHook = this.#sql.addInlineHook(inlineHook({ ...definition, sink: definition.sink }));
    }
    this.#timer = setInterval(() => this.#lookInBackground(), this.#options.watchMs ?? 1_000);
  }

  stop(): Promise<void> {
    return this.#end(false);
  }

  /** Stops for a removal of the projection: nothing more is written, and a lake deletes what it wrote. */
  halt(): Promise<void> {
    return this.#end(true);
  }

  /** No more looks; once the one under way is over, the feeders wind down. */
  async #end(removed: boolean): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#looking;
    await this.#windDown(removed);
  }

  /** Stops looking and feeding; `removed`: the projection is gone, so nothing more is written (a lake deletes what it wrote). */
  async #windDown(removed: boolean): Promise<void> {
    this.#stopped = true;
    this.#removed ||= removed;
    clearInterval(this.#timer);
    this.#removeHook?.();
    this.#removeHook = undefined;
    this.#untrack?.();
    this.#untrack = undefined;
    const feeders = [...this.#feeders.values()];
    this.#feeders.clear();
    await settleAll(feeders.map((feeder) => feeder.stop(this.#removed)));
  }

  #lookInBackground(): void {
    if (this.#looking !== undefined || this.#stopped) return;
    this.#looking = this.#look()
      .catch(async (error: unknown) => {
        // a removal is no error: the runner has stopped, as it was asked to
        if (!this.#removed) this.#options.onError?.(error);
        // a closed store answers nothing again: stop looking rather than report it every watchMs
        if (isTributaryError(error, 'STORE_CLOSED')) await this.#windDown(false).catch(() => undefined);
      })
      .finally(() => (this.#looking = undefined));
  }

  /** Brings this process in line with the registry: which generations to feed, whether to switch, what to drop. */
  async #look(): Promise<void> {
    const mode = this.#options.inline === true ? 'inline' : 'async';
    // code registers its projection when it starts; a file's projection is registered by add
    const adding = this.#options.declared === undefined && !this.#claimed;
    const claimed = await claimProjection(this.#sql, this.#definition, this.#options.declared ?? null, mode, adding).catch(async (error: unknown) => {
      // removed: stop writing into tables and directories that are gone
      if (isTributaryError(error, 'PROJECTION_NOT_FOUND')) await this.#windDown(true);
      throw error;
    });
    this.#claimed = true;
    const { record, superseded } = claimed;
    if (superseded !== null) await this.#forget(superseded);
    const wanted = new Set(generationsFed(record, this.#definition.version));
    for (const [generation, feeder] of this.#feeders) {
      if (wanted.has(generation)) continue;
      this.#feeders.delete(generation);
      await feeder.stop();
    }
    for (const generation of wanted) {
      if (this.#stopped) return;
      if (this.#feeders.has(generation)) continue;
      await ensureStorage(this.#sql, this.#definition, generation);
      this.#feeders.set(generation, await this.#feed(generation));
    }
    for (const feeder of this.#feeders.values()) await feeder.tick();
    const switching = switchCandidate(record, this.#feeders);
    if (switching !== null) await this.#switchWhenCaughtUp(record, switching);
    const retired = dropCandidate(record, this.#feeders);
    if (retired !== null) await this.#dropRetired(record, retired);
  }

  #feed(generation: number): Promise<Feeder> {
    const options: FeederOptions = {
      member: this.#options.member,
      pageSize: this.#options.pageSize ?? 1_000,
      leaseMs: this.#options.leaseMs,
      heartbeatMs: this.#options.heartbeatMs,
      onError: (error) => void this.#report(error),
      registered: () => this.#registered(),
      liveAt: () => this.#liveAt(),
    };
    const definition = this.#definition;
    return definition.sink.storage === 'sql'
      ? feedSqlSink(this.#store, { ...definition, sink: definition.sink }, generation, options)
      : feedLakeSink(this.#store, { ...definition, sink: definition.sink }, generation, options);
  }

  /** The live generation and how far it has handled the log: its manifest or its checkpoint, whichever is further. */
  async #liveAt(): Promise<LiveGeneration | undefined> {
    const record = await getProjection(this.#sql, this.name);
    if (record === undefined) return undefined;
    const { checkpoint } = await generationReached(this.#store, record, record.live, 0);
    return { live: record.live, position: checkpoint };
  }

  #registered(): Promise<boolean> {
    return getProjection(this.#sql, this.name).then((record) => record !== undefined);
  }

  /** Passes on a feeder's error, unless the projection was removed: another process's removal shows as lost checkpoints until the next look. */
  async #report(error: unknown): Promise<void> {
    const gone = this.#removed || !(await this.#registered().catch(() => true));
    if (!gone) this.#options.onError?.(error);
  }

  /** Switches readers to the generation being built once it has handled the whole log as it is now. */
  async #switchWhenCaughtUp(record: ProjectionRecord, building: number): Promise<void> {
    const head = await this.#store.headPosition();
    const { reached } = await generationReached(this.#store, record, building, head);
    if (!allows(record, { type: 'switch', caughtUp: reached })) return;
    const switched = await this.#sql.transaction(async (tx) => {
      if (!(await switchGenerations(tx, this.name, record))) return false;
      await publishStorage(tx, this.#definition, building);
      return true;
    });
    if (switched) this.#options.onSwitch?.(building);
  }

  /** Drops the generation readers left, once no process feeds it any more. */
  async #dropRetired(record: ProjectionRecord, retired: number): Promise<void> {
    const consumer = consumerNameOf(this.name, retired);
    const fed = await this.#store.consumers.get(consumer);
    if (fed !== undefined && fed.members.some((member) => member.leaseUntil >= fed.now)) return;
    // the checkpoint goes first: a crash before the drop leaves `retired` set, and the next look drops the rest
    await this.#store.consumers.remove(consumer);
    const dropped = await this.#sql.transaction(async (tx) => {
      if (!(await updateProjection(tx, this.name, record, changesOf(this.name, record, { type: 'drop', fed: false })))) return false;
      await dropStorage(tx, this.#definition, retired);
      return true;
    });
    if (dropped) await dropLakeFiles(this.#definition, retired);
  }

  /** Removes what is left of a generation whose tables are gone: its checkpoint and a lake's files. */
  async #forget(generation: number): Promise<void> {
    await this.#store.consumers.remove(consumerNameOf(this.name, generation));
    await dropLakeFiles(this.#definition, generation);
  }
}
