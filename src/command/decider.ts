import type { AppendResult, EventData, EventMetadata } from '../core/event.js';
import { isTributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { nonNegativeInteger } from '../store/options.js';

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
}

export interface LoadedState<State> {
  state: State;
  /** Revision of the last event folded in, or -1 for a stream with none. */
  revision: number;
}

const PAGE = 1000;

/**
 * Folds a stream into state. With `untilRevision`, the state as it was right
 * after the event at that revision: a temporal query on one stream.
 */
export async function loadState<Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  options: LoadStateOptions = {},
): Promise<LoadedState<State>> {
  const until = options.untilRevision === undefined ? Infinity : nonNegativeInteger('untilRevision', options.untilRevision);
  let state = decider.initialState();
  let revision = -1;
  const info = await store.streamInfo(stream);
  if (!info.exists) return { state, revision: -1 };
  let from: number | null = 0;
  while (from !== null && from <= until) {
    const page = await store.readStream(stream, { from, limit: PAGE });
    for (const event of page.events) {
      if (event.revision > until) return { state, revision };
      state = decider.evolve(state, event as unknown as Event);
      revision = event.revision;
    }
    from = page.next;
  }
  // events hidden by retention still count: the next append must follow the real last revision
  return { state, revision: until === Infinity ? Math.max(revision, info.lastRevision) : revision };
}

export interface LoadStateOptions {
  /** Fold only up to the event at this revision: the state as it was then. Default: the whole stream. */
  untilRevision?: number;
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
 * on the fresh state) rather than act on a stale state.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions = {},
): Promise<HandledCommand<Event, State>> {
  const retries = options.retries === undefined ? 0 : nonNegativeInteger('retries', options.retries);
  for (let attempt = 0; ; attempt++) {
    const loaded = await loadState(store, stream, decider);
    const decided = decider.decide(command, loaded.state);
    const events: Event[] = Array.isArray(decided) ? [...(decided as readonly Event[])] : [decided as Event];
    if (events.length === 0) return { state: loaded.state, events, result: null };
    const proposed: EventData[] = events.map((event) =>
      options.metadata === undefined ? event : { ...event, metadata: { ...options.metadata } },
    );
    try {
      const result = await store.append(stream, proposed, {
        expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision,
      });
      return { state: events.reduce(decider.evolve, loaded.state), events, result };
    } catch (error) {
      if (attempt < retries && isTributaryError(error, 'WRONG_EXPECTED_REVISION')) continue;
      throw error;
    }
  }
}
