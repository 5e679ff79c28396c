import type { AsOf } from '../core/as-of.js';
import type { AppendResult, EventData, EventMetadata } from '../core/event.js';
import { isTributaryError } from '../core/errors.js';
import type { EventStore, StreamPage } from '../store/event-store.js';
import { nonNegativeInteger } from '../store/options.js';
import type { Snapshot, SnapshotStore } from '../store/snapshot-store.js';
import { decidedEvents, retriesOf, withCommandMetadata } from './decided-events.js';
import { checkSnapshotPolicy, snapshotText, snapshotsOf, type SnapshotPolicy } from './snapshot-policy.js';

/** An event as a decider sees it: its type and data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/**
 * Command handling as three pure functions: the state before anything
 * happened, how an event changes state, and which events a command causes.
 *
 * ```ts
 * const counter: Decider<{ type: 'Add'; by: number }, Added, number> = {
 *   initialState: () => 0,
 *   evolve: (total, event) => total + event.data.by,
 *   decide: (command) => [{ type: 'Added', data: { by: command.by } }],
 * };
 * ```
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  /** Throw (for example with {@link rejectCommand}) to refuse the command. */
  decide: (command: Command, state: State) => Event | readonly Event[];
  /**
   * Keep snapshots of the state every so many events, so a load reads the
   * newest snapshot and folds only the events after it. The state must be
   * plain JSON. Absent: every load folds the whole stream.
   */
  snapshot?: SnapshotPolicy;
}

export interface LoadedState<State> {
  state: State;
  /** Revision of the last event folded in, or -1 for a stream with none. */
  revision: number;
}

const PAGE = 1000;

/**
 * Folds a stream into state. With `untilRevision`, the state as it was right
 * after the event at that revision: a temporal query on one stream. With
 * `asOf` (a time or a position of the log), the state as it was then: the
 * events of the stream recorded at or before that point; a point before the
 * stream's first event gives the initial state and revision -1. With a
 * `snapshot` policy on the decider, starts from the snapshot kept for the
 * stream when it still holds, and keeps a new one after folding `every`
 * events or more past it (a read up to `untilRevision` or as of a point
 * keeps none; it starts from a kept snapshot only when that is not past the point).
 *
 * ```ts
 * const { state } = await loadState(store, 'account-12345', account, { asOf: '2026-03-01T00:00:00Z' });
 * ```
 */
export async function loadState<Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve' | 'snapshot'>,
  options: LoadStateOptions = {},
): Promise<LoadedState<State>> {
  const { state, revision } = await load(store, stream, decider, options);
  return { state, revision };
}

/** A load, with what a snapshot after it needs to know. */
interface Load<State> extends LoadedState<State> {
  /** Revision of the last event folded in (the snapshot's when nothing was), or -1. */
  folded: number;
  /** Events folded since the snapshot kept (or since the start). */
  sinceSnapshot: number;
  /** Revision of the first event the state holds, or undefined when it holds none. */
  fromRevision: number | undefined;
}

async function load<Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve' | 'snapshot'>,
  options: LoadStateOptions,
): Promise<Load<State>> {
  let until = options.untilRevision === undefined ? Infinity : nonNegativeInteger('untilRevision', options.untilRevision);
  if (options.asOf !== undefined) {
    // a stream's events at or before a point of the log are its revisions up to its last one there
    const last = await lastRevisionAsOf(store, stream, options.asOf);
    if (last < 0) return { state: decider.initialState(), revision: -1, folded: -1, sinceSnapshot: 0, fromRevision: undefined };
    until = Math.min(until, last);
  }
  const policy = decider.snapshot === undefined ? undefined : checkSnapshotPolicy(decider.snapshot);
  const snapshots = policy === undefined ? undefined : snapshotsOf(store, policy);
  const [info, kept] = await Promise.all([store.streamInfo(stream), snapshots?.read(stream, policy!.name) ?? null]);
  if (!info.exists) return { state: decider.initialState(), revision: -1, folded: -1, sinceSnapshot: 0, fromRevision: undefined };
  const start = await startOf(store, stream, decider.initialState, kept, policy?.version, Math.min(until, info.lastRevision));
  let { state, revision, fromRevision } = start;
  let prefetched = start.page;
  let sinceSnapshot = 0;
  let from: number | null = revision + 1;
  fold: while (from !== null && from <= until) {
    const page: StreamPage = prefetched ?? (await store.readStream(stream, { from, limit: PAGE }));
    prefetched = undefined;
    for (const event of page.events) {
      if (event.revision > until) break fold;
      state = decider.evolve(state, event as unknown as Event);
      revision = event.revision;
      fromRevision ??= event.revision;
      sinceSnapshot++;
    }
    from = page.next;
  }
  const loaded: Load<State> = {
    state,
    // events hidden by retention still count: the next append must follow the real last revision
    revision: until === Infinity ? Math.max(revision, info.lastRevision) : revision,
    folded: revision,
    sinceSnapshot,
    fromRevision,
  };
  if (policy !== undefined && until === Infinity && sinceSnapshot >= policy.every && fromRevision !== undefined) {
    // the state is checked before the write: a state that is not JSON fails the load, where nothing was written yet
    await keepSnapshot(snapshots!, { stream, name: policy.name, version: policy.version, revision, fromRevision, state: snapshotText(state, policy) });
    loaded.sinceSnapshot = 0;
  }
  return loaded;
}

/** The stream's last readable revision as of `asOf`; -1 when it had none by then. Errors: INVALID_AS_OF. */
async function lastRevisionAsOf(store: EventStore, stream: string, asOf: AsOf): Promise<number> {
  try {
    const page = await store.readStream(stream, { asOf, direction: 'backward', limit: 1, raw: true });
    return page.events[0]?.revision ?? -1;
  } catch (error) {
    if (isTributaryError(error, 'STREAM_NOT_FOUND') || isTributaryError(error, 'STREAM_DELETED')) return -1;
    throw error;
  }
}

interface Start<State> {
  state: State;
  revision: number;
  fromRevision: number | undefined;
  /** The first page after the snapshot, when the fold starts from one. */
  page?: StreamPage;
}

/**
 * Where a fold starts: the kept snapshot when it is of `version`, at or before
 * `last`, and its first event is still the stream's first readable one (a
 * deleted, truncated or aged-out beginning makes it stale); else the start.
 */
async function startOf<State>(
  store: EventStore,
  stream: string,
  initialState: () => State,
  kept: Snapshot | null,
  version: number | undefined,
  last: number,
): Promise<Start<State>> {
  const scratch = () => ({ state: initialState(), revision: -1, fromRevision: undefined });
  if (kept === null || kept.version !== version || kept.revision > last) return scratch();
  // the check and the first page after the snapshot together: a pool answers both in one round trip's time
  const [first, page] = await Promise.all([
    store.readStream(stream, { from: 0, limit: 1 }),
    store.readStream(stream, { from: kept.revision + 1, limit: PAGE }),
  ]);
  if (first.events[0]?.revision !== kept.fromRevision) return scratch();
  return { state: JSON.parse(kept.state) as State, revision: kept.revision, fromRevision: kept.fromRevision, page };
}

/** Writes a snapshot; a failed write costs the next load more events to fold, and fails nothing. */
async function keepSnapshot(snapshots: SnapshotStore, snapshot: Snapshot): Promise<void> {
  try {
    await snapshots.write(snapshot);
  } catch {
    // the log is the truth: a missing snapshot only makes a later load slower
  }
}

export interface LoadStateOptions {
  /** Fold only up to the event at this revision: the state as it was then. Default: the whole stream. */
  untilRevision?: number;
  /**
   * The state as the log stood at this point: a position, or a time standing
   * for the last position recorded at or before it (see `ReadStreamOptions.asOf`).
   * Errors: INVALID_AS_OF.
   */
  asOf?: AsOf;
}

export interface HandleCommandOptions {
  /** How many times to reload and decide again after a concurrent writer won. Default 0. */
  retries?: number;
  /** Metadata stamped on every event the command causes (correlation, causation, user, …). */
  metadata?: EventMetadata;
}

export interface HandledCommand<Event extends DomainEvent, State> {
  /** The state after the new events. */
  state: State;
  /** The events the decider produced (none when it decided nothing happens). */
  events: Event[];
  /** Where they landed; null when there were none. */
  result: AppendResult | null;
}

/**
 * Loads the stream, decides, and appends under the loaded revision, so a
 * concurrent change makes the append fail (and, with `retries`, decide again
 * on the fresh state) rather than act on a stale state. With a `snapshot`
 * policy it loads as {@link loadState} does, and keeps a snapshot of the new
 * state once its events bring the count past the last one to `every`; a
 * snapshot that cannot be written never fails the command.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions = {},
): Promise<HandledCommand<Event, State>> {
  const retries = retriesOf(options.retries);
  for (let attempt = 0; ; attempt++) {
    const loaded = await load(store, stream, decider, {});
    const events = decidedEvents(decider.decide(command, loaded.state));
    if (events.length === 0) return { state: loaded.state, events, result: null };
    const proposed: EventData[] = events.map((event) => withCommandMetadata(event, options.metadata));
    try {
      const result = await store.append(stream, proposed, {
        expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision,
      });
      // an idempotent retry of events the load already folded (their ids were stored before it): the state holds them once
      const state = result.events[0]!.revision <= loaded.revision ? loaded.state : events.reduce(decider.evolve, loaded.state);
      await snapshotAfterAppend(store, stream, decider.snapshot, loaded, state, result);
      return { state, events, result };
    } catch (error) {
      if (attempt < retries && isTributaryError(error, 'WRONG_EXPECTED_REVISION')) continue;
      throw error;
    }
  }
}

/**
 * After a command's append, keeps a snapshot of the new state once `every`
 * events have passed the last one — only when the events landed right after
 * the ones folded (not an idempotent retry of older ones). Never throws: the
 * events are stored, and the command succeeded.
 */
async function snapshotAfterAppend<State>(
  store: EventStore,
  stream: string,
  policy: SnapshotPolicy | undefined,
  loaded: Load<State>,
  state: State,
  result: AppendResult,
): Promise<void> {
  const first = result.events[0];
  if (policy === undefined || store.snapshots === undefined || first === undefined) return;
  if (first.revision !== loaded.folded + 1 || loaded.folded !== loaded.revision) return;
  if (loaded.sinceSnapshot + result.events.length < policy.every) return;
  let text: string;
  try {
    text = snapshotText(state, policy);
  } catch {
    // the next load refuses this state with SNAPSHOT_NOT_JSON, before it appends anything
    return;
  }
  const revision = first.revision + result.events.length - 1;
  await keepSnapshot(store.snapshots, { stream, name: policy.name, version: policy.version, revision, fromRevision: loaded.fromRevision ?? first.revision, state: text });
}
