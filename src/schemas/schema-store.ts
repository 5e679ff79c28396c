import { TributaryError } from '../core/errors.js';
import type { AppendResult, EventData, RecordedEvent } from '../core/event.js';
import { prepareEvents } from '../core/proposed-event.js';
import type { AppendManyResult, StreamAppend } from '../core/stream-appends.js';
import type {
  AllPage,
  AppendManyOptions,
  AppendOptions,
  DeleteOptions,
  EventStore,
  ListStreamsOptions,
  ReadAllOptions,
  ReadStreamOptions,
  StreamMetadata,
  StreamPage,
} from '../store/event-store.js';
import type { SchemaFailure } from '../store/schema-registry.js';
import { sqlReadingThrough, type SqlAccess } from '../store/sql-access.js';
import { checkEvents, warningsOf, type CheckedEvents } from './append-check.js';
import { RegistryCache } from './registry-cache.js';
import type { RegistryState } from './registry-state.js';
import { SchemaCompiler } from './schema-compiler.js';
import { StoreSchemaRegistry } from './store-registry.js';
import { Upcasters } from './upcasters.js';
import type { EventLookup } from '../store/event-lookup.js';

/**
 * Puts the schema registry's door in front of a store: appends are stamped
 * with their schema versions and validated where their category says so,
 * reads come back upcast to each type's latest version (unless `raw`), and
 * the store's own `$` streams refuse every write but the registry's. A store
 * that has a registry already (opened with `openStore`, or a remote one) is
 * returned as it is. The store's branches (`branch(name)`) are behind the same
 * door: their appends are checked and their events upcast alike.
 *
 * ```ts
 * const store = withSchemas(openSqliteStore({ path: './data/tributary.db' }));
 * await store.schemas!.setMode('order', 'enforce');
 * ```
 */
export function withSchemas(store: EventStore): EventStore {
  return store.schemas === undefined ? new SchemaStore(store) : store;
}

/** What a store's door shares with the doors of its branches: one registry, read from the real log. */
interface RegistryParts {
  cache: RegistryCache;
  compiler: SchemaCompiler;
  upcasters: Upcasters;
  registry: StoreSchemaRegistry;
}

class SchemaStore implements EventStore {
  readonly #inner: EventStore;
  readonly #cache: RegistryCache;
  readonly #compiler: SchemaCompiler;
  readonly #upcasters: Upcasters;
  readonly #registry: StoreSchemaRegistry;
  readonly #sql: SqlAccess | undefined;
  readonly #lookup: EventLookup | undefined;

  /** `parts`: a branch's door, sharing the real store's registry. */
  constructor(inner: EventStore, parts?: RegistryParts) {
    this.#inner = inner;
    this.#compiler = parts?.compiler ?? new SchemaCompiler();
    this.#upcasters = parts?.upcasters ?? new Upcasters();
    this.#cache = parts?.cache ?? new RegistryCache(inner, this.#compiler);
    this.#registry = parts?.registry ?? new StoreSchemaRegistry(inner, this.#cache, this.#compiler, this.#upcasters);
    this.#sql = inner.sql === undefined ? undefined : sqlReadingThrough(inner.sql, (events) => this.upcast(events), true);
    this.#lookup = inner.lookup === undefined ? undefined : upcastingLookup(inner.lookup, this);
  }

  get location() {
    return this.#inner.location;
  }
  get consumers() {
    return this.#inner.consumers;
  }
  get tokens() {
    return this.#inner.tokens;
  }
  get sql() {
    return this.#sql;
  }
  get recordings() {
    return this.#inner.recordings;
  }
  get snapshots() {
    return this.#inner.snapshots;
  }
  get copySource() {
    return this.#inner.copySource;
  }
  get copyTarget() {
    return this.#inner.copyTarget;
  }
  get redaction() {
    return this.#inner.redaction;
  }
  get schemas() {
    return this.#registry;
  }
  get lookup(): EventLookup | undefined {
    return this.#lookup;
  }
  get branches() {
    return this.#inner.branches;
  }
  get privacy() {
    return this.#inner.privacy;
  }
  /** A branch behind the same door: its appends checked against the registry, its events (real and its own) upcast. */
  get branch(): ((name: string) => EventStore) | undefined {
    const inner = this.#inner;
    if (inner.branch === undefined) return undefined;
    const parts = { cache: this.#cache, compiler: this.#compiler, upcasters: this.#upcasters, registry: this.#registry };
    return (name) => new SchemaStore(inner.branch!(name), parts);
  }

  async append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
    refuseReserved(stream);
    const state = await this.#cache.current();
    const checked = checkEvents(state, this.#compiler, stream, events);
    refuseFailures(events, [checked]);
    const result = await this.#inner.append(stream, checked.events, options);
    this.#registry.warn(warningsOf(checked));
    return result;
  }

  async appendMany(appends: readonly StreamAppend[], options?: AppendManyOptions): Promise<AppendManyResult> {
    // a malformed call is the store's to refuse, with its own codes
    const parts: unknown = appends;
    if (!Array.isArray(parts)) return this.#inner.appendMany(appends, options);
    for (const part of parts as unknown[]) if (isPart(part)) refuseReserved(part.stream);
    const state = await this.#cache.current();
    const checked = (parts as unknown[]).map((part) => {
      const events = eventsOf(part);
      return events === undefined ? undefined : checkEvents(state, this.#compiler, (part as StreamAppend).stream, events);
    });
    refuseFailures(
      appends.flatMap((part) => eventsOf(part) ?? []),
      checked.filter((part) => part !== undefined),
    );
    const stamped = appends.map((part, i): StreamAppend => (checked[i] === undefined ? part : { ...part, events: checked[i].events }));
    const result = await this.#inner.appendMany(stamped, options);
    for (const part of checked) if (part !== undefined) this.#registry.warn(warningsOf(part));
    return result;
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
    const page = await this.#inner.readStream(stream, options);
    if (options?.raw === true) return page;
    return { ...page, events: await this.upcast(page.events) };
  }

  async readAll(options?: ReadAllOptions): Promise<AllPage> {
    const page = await this.#inner.readAll(options);
    if (options?.raw === true) return page;
    return { ...page, events: await this.upcast(page.events) };
  }

  /** The events as their types' latest versions. */
  upcast(events: RecordedEvent[]): RecordedEvent[] | Promise<RecordedEvent[]> {
    if (events.length === 0) return events;
    const state = this.#cache.current();
    return state instanceof Promise ? state.then((fresh) => this.#upcastWith(fresh, events)) : this.#upcastWith(state, events);
  }

  #upcastWith(state: RegistryState, events: RecordedEvent[]): RecordedEvent[] {
    return this.#upcasters.upcast(events, state);
  }

  streamInfo(stream: string) {
    return this.#inner.streamInfo(stream);
  }
  listStreams(options?: ListStreamsOptions) {
    return this.#inner.listStreams(options);
  }
  listCategories() {
    return this.#inner.listCategories();
  }
  getStreamMetadata(stream: string) {
    return this.#inner.getStreamMetadata(stream);
  }
  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    refuseReserved(stream);
    return this.#inner.setStreamMetadata(stream, metadata);
  }
  async deleteStream(stream: string, options?: DeleteOptions): Promise<void> {
    refuseReserved(stream);
    return this.#inner.deleteStream(stream, options);
  }
  async tombstoneStream(stream: string, options?: DeleteOptions): Promise<void> {
    refuseReserved(stream);
    return this.#inner.tombstoneStream(stream, options);
  }
  scavenge() {
    return this.#inner.scavenge();
  }
  headPosition() {
    return this.#inner.headPosition();
  }
  positionAt(time: Date | string) {
    return this.#inner.positionAt(time);
  }
  waitForPosition(after: number, options?: Parameters<EventStore['waitForPosition']>[1]) {
    return this.#inner.waitForPosition(after, options);
  }
  close() {
    return this.#inner.close();
  }
}

/** The events of a well-formed part of a multi-stream append; undefined for a malformed one, which the store refuses. */
function eventsOf(part: unknown): readonly EventData[] | undefined {
  if (!isPart(part)) return undefined;
  const events: unknown = part.events;
  return Array.isArray(events) ? (events as EventData[]) : undefined;
}

function isPart(part: unknown): part is StreamAppend {
  return typeof part === 'object' && part !== null && typeof (part as StreamAppend).stream === 'string';
}

/** Throws RESERVED_STREAM for a `$` stream: the store's own, written by the registry alone. */
function refuseReserved(stream: unknown): void {
  if (typeof stream === 'string' && stream.startsWith('$')) {
    throw new TributaryError('RESERVED_STREAM', `stream ${JSON.stringify(stream)} is the store's own ($ streams): only the store writes it`, { stream });
  }
}

/** Throws SCHEMA_VALIDATION_FAILED with every failure of the enforcing parts; a malformed event is INVALID_EVENT first, as without schemas. */
function refuseFailures(events: readonly EventData[], parts: readonly CheckedEvents[]): void {
  const failures: SchemaFailure[] = parts.flatMap((part) => (part.mode === 'enforce' ? part.failures : []));
  if (failures.length === 0) return;
  prepareEvents(events);
  const shown = failures.slice(0, 5).map((f) => `event ${f.index} of ${f.stream} (${f.type}${f.version === null ? '' : ` v${f.version}`}): ${f.path} ${f.message}`);
  const more = failures.length > 5 ? `; and ${failures.length - 5} more` : '';
  throw new TributaryError('SCHEMA_VALIDATION_FAILED', `${failures.length} event(s) break their schemas, nothing was stored: ${shown.join('; ')}${more}`, { failures });
}

/** The inner store's lookup, its events upcast like every other read's. */
function upcastingLookup(lookup: EventLookup, store: SchemaStore): EventLookup {
  return {
    event: async (id) => {
      const found = await lookup.event(id);
      return found === undefined ? undefined : (await store.upcast([found]))[0];
    },
    correlated: async (correlationId, options) => store.upcast(await lookup.correlated(correlationId, options)),
  };
}
