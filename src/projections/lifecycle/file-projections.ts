import { TributaryError, isTributaryError } from '../../core/errors.js';
import { settleAll } from '../../core/settle-all.js';
import type { EventStore } from '../../store/event-store.js';
import { claimProjection } from './claim.js';
import { declaredProjection } from '../definition/file-definition.js';
import { consumerNameOf } from '../definition/projection.js';
import { dropLakeFiles } from '../sinks/storage.js';
import { getProjection, listProjections, sqlOf, type ProjectionRecord } from './registry.js';
import { runProjection, type RunProjectionOptions, type RunningProjection } from '../feeding/runner.js';

/**
 * Registers the projection a definition file describes (`tributary projections add`).
 * Adding it again with a higher version starts a rebuild; the same version
 * with other content is refused, since readers could not tell the two apart.
 */
export async function addDeclaredProjection(store: EventStore, file: unknown): Promise<ProjectionRecord> {
  const definition = declaredProjection(file);
  const sql = sqlOf(store, definition.name);
  const existing = await getProjection(sql, definition.name);
  if (existing !== undefined && existing.definition === null) {
    throw new TributaryError('PROJECTION_CONFLICT', `projection ${JSON.stringify(definition.name)} is defined in code, not by a file`, {
      projection: definition.name,
    });
  }
  const stored = existing?.definition as { version?: number } | undefined;
  if (existing !== undefined && stored?.version === definition.version && JSON.stringify(stored) !== JSON.stringify(file)) {
    throw new TributaryError(
      'PROJECTION_CONFLICT',
      `projection ${JSON.stringify(definition.name)} version ${definition.version} is registered with another definition: raise its version`,
      { projection: definition.name },
    );
  }
  const { record, superseded } = await claimProjection(sql, definition, file, 'async', true);
  if (superseded !== null) {
    await store.consumers.remove(consumerNameOf(definition.name, superseded));
    await dropLakeFiles(definition, superseded);
  }
  return record;
}

/** The projections added from files that this process feeds; it follows files added, changed or removed later. */
export interface DeclaredProjections {
  /** The names fed right now. */
  readonly names: readonly string[];
  stop(): Promise<void>;
}

/**
 * Runs every projection registered from a file (what `tributary serve` and
 * `tributary projections run` host), and keeps looking: a file added later is
 * run, a new version replaces the old code, a removed projection stops.
 */
export async function runDeclaredProjections(store: EventStore, options: RunProjectionOptions = {}): Promise<DeclaredProjections> {
  const supervisor = new DeclaredSupervisor(store, options);
  await supervisor.sync();
  supervisor.start(options.watchMs ?? 1_000);
  return supervisor;
}

class DeclaredSupervisor implements DeclaredProjections {
  readonly #store: EventStore;
  readonly #options: RunProjectionOptions;
  readonly #running = new Map<string, { definition: string; projection: RunningProjection }>();
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #stopped = false;

  constructor(store: EventStore, options: RunProjectionOptions) {
    this.#store = store;
    this.#options = options;
  }

  get names(): readonly string[] {
    return [...this.#running.keys()].sort();
  }

  start(everyMs: number): void {
    if (this.#stopped) return;
    this.#timer = setInterval(() => {
      if (this.#syncing !== undefined || this.#stopped) return;
      this.#syncing = this.sync()
        .catch(async (error: unknown) => {
          this.#options.onError?.(error);
          // a closed store answers nothing again: stop rather than report it every second
          if (isTributaryError(error, 'STORE_CLOSED')) await this.#halt().catch(() => undefined);
        })
        .finally(() => (this.#syncing = undefined));
    }, everyMs);
  }

  /** Starts, replaces and stops runners so that they match the registry. */
  async sync(): Promise<void> {
    const declared = (await listProjections(sqlOf(this.#store, 'declared'))).filter((record) => record.definition !== null);
    const wanted = new Map(declared.map((record) => [record.name, record]));
    for (const [name, { definition, projection }] of this.#running) {
      const record = wanted.get(name);
      // a runner that stopped by itself saw its projection removed: one added again since needs a new one
      if (record !== undefined && JSON.stringify(record.definition) === definition && !projection.stopped) continue;
      this.#running.delete(name);
      await projection.stop();
    }
    for (const [name, record] of wanted) {
      if (this.#stopped) return;
      if (this.#running.has(name)) continue;
      try {
        this.#running.set(name, { definition: JSON.stringify(record.definition), projection: await runDeclared(this.#store, record, this.#options) });
      } catch (error) {
        // removed since it was listed: nothing to run, nothing to report
        if (isTributaryError(error, 'PROJECTION_NOT_FOUND')) continue;
        // one broken projection must not keep the others from running
        this.#options.onError?.(error);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#syncing;
    await this.#halt();
  }

  /** Stops the timer and every runner; one runner's failing stop does not cut the others' short. */
  async #halt(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const running = [...this.#running.values()];
    this.#running.clear();
    await settleAll(running.map(({ projection }) => projection.stop()));
  }
}

/** Runs one projection registered from a file. */
export function runDeclared(store: EventStore, record: ProjectionRecord, options: RunProjectionOptions = {}): Promise<RunningProjection> {
  return runProjection(store, declaredProjection(record.definition), { ...options, declared: record.definition });
}
