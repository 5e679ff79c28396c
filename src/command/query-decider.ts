import type { EventData } from '../core/event.js';
import { checkQuery, matchesQuery, type EventQuery } from '../core/event-query.js';
import { isTributaryError } from '../core/errors.js';
import type { AppendManyResult, StreamAppend } from '../core/stream-appends.js';
import type { EventStore } from '../store/event-store.js';
import type { DomainEvent, HandleCommandOptions } from './decider.js';
import { decidedEvents, retriesOf, withCommandMetadata } from './decided-events.js';

/**
 * An event of a decision across streams: the stream it belongs to, and the
 * tags a query finds it by. A stored event is one too (its `tags` always an array).
 *
 * ```ts
 * const claimed: TaggedEvent = { stream: 'user-7', type: 'UsernameClaimed', data: { username: 'ada' }, tags: ['username:ada'] };
 * ```
 */
export interface TaggedEvent<Type extends string = string, Data = unknown> extends DomainEvent<Type, Data> {
  stream: string;
  tags?: readonly string[];
  /** A UUID; the same id on a retried command makes its append an idempotent retry. */
  id?: string;
}

/**
 * A decider whose consistency boundary is a query rather than one stream
 * (a dynamic consistency boundary): the events the decision depends on are
 * the ones `query(command)` matches, in whichever streams they are. Each
 * event `decide` returns names the stream it goes to.
 *
 * ```ts
 * type Claim = { userId: string; username: string };
 * type Claimed = TaggedEvent<'UsernameClaimed', Claim>;
 * const claimUsername: QueryDecider<Claim, Claimed, boolean> = {
 *   query: (command) => [{ types: ['UsernameClaimed'], tags: [`username:${command.username}`] }],
 *   initialState: () => false,
 *   evolve: () => true,
 *   decide: (command, taken) => {
 *     if (taken) throw rejectCommand('the username is taken');
 *     return { stream: `user-${command.userId}`, type: 'UsernameClaimed', data: command, tags: [`username:${command.username}`] };
 *   },
 * };
 * ```
 */
export interface QueryDecider<Command, Event extends TaggedEvent, State> {
  /** Which events the decision depends on: all of them are folded, and the append fails if another appears meanwhile. */
  query: (command: Command) => EventQuery;
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  /** Throw (for example with `rejectCommand`) to refuse the command. */
  decide: (command: Command, state: State) => Event | readonly Event[];
}

export interface QueryState<State> {
  state: State;
  /**
   * The position of the last event matching the query, 0 when none: every
   * matching event up to it is folded in, and the read went to the head, so
   * a matching event past it was appended after the read. The `after` of the
   * append condition that keeps a decision on this state from racing.
   */
  position: number;
}

export interface HandledQueryCommand<Event extends TaggedEvent, State> {
  /** The state after the new events. */
  state: State;
  /** The events the decider produced (none when it decided nothing happens). */
  events: Event[];
  /** Where they landed, one result per stream in the order the streams first appear among the events; null when there were none. */
  result: AppendManyResult | null;
  /** The position the decision was made at: the condition's `after`. */
  position: number;
}

const PAGE = 1000;

/**
 * Folds every event matching `query`, in position order, into state: the
 * state a decision across streams starts from, and the position to make it at.
 *
 * ```ts
 * const { state: taken, position } = await loadQueryState(store, claimUsername.query({ userId: '7', username: 'ada' }), claimUsername);
 * ```
 */
export async function loadQueryState<Event extends TaggedEvent, State>(
  store: EventStore,
  query: EventQuery,
  decider: Pick<QueryDecider<never, Event, State>, 'initialState' | 'evolve'>,
): Promise<QueryState<State>> {
  // the last matching position read: every matching event up to it is folded, and one past it came after the read
  let position = 0;
  let state = decider.initialState();
  let after: number | null = 0;
  while (after !== null) {
    const page = await store.readAll({ query, after, limit: PAGE });
    for (const event of page.events) {
      state = decider.evolve(state, event as unknown as Event);
      position = event.position;
    }
    after = page.next;
  }
  return { state, position };
}

/**
 * Reads the events `decider.query(command)` matches, decides, and appends
 * the decision's events to their streams in one atomic call, on the
 * condition that no event matching the query was appended after the
 * position read. When another writer got there first the append fails with
 * `APPEND_CONDITION_FAILED`; with `retries` it reads and decides again, and
 * after the last retry the error is thrown. A refusal from `decide`
 * (`COMMAND_REJECTED`) is thrown as it is. Events of one stream keep their
 * order; streams are written in the order they first appear.
 *
 * ```ts
 * await handleQueryCommand(store, claimUsername, { userId: '7', username: 'ada' }, { retries: 3 });
 * ```
 */
export async function handleQueryCommand<Command, Event extends TaggedEvent, State>(
  store: EventStore,
  decider: QueryDecider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions = {},
): Promise<HandledQueryCommand<Event, State>> {
  const retries = retriesOf(options.retries);
  const query = decider.query(command);
  for (let attempt = 0; ; attempt++) {
    const { state, position } = await loadQueryState(store, query, decider);
    const events = decidedEvents(decider.decide(command, state));
    if (events.length === 0) return { state, events, result: null, position };
    try {
      const result = await store.appendMany(appendsOf(events, options), { condition: { failIfEventsMatch: query, after: position } });
      // an idempotent retry of events stored before the read: those the query matches are folded already
      const folded = result.position <= position ? checkQuery(query) : undefined;
      const unfolded = folded === undefined ? events : events.filter((event) => !matchesQuery(folded, event.type, event.tags ?? []));
      return { state: unfolded.reduce(decider.evolve, state), events, result, position };
    } catch (error) {
      if (attempt < retries && isTributaryError(error, 'APPEND_CONDITION_FAILED')) continue;
      throw error;
    }
  }
}

/** The decision's events, one append per stream, each event without its `stream` and with the command's metadata. */
function appendsOf(events: readonly TaggedEvent[], options: HandleCommandOptions): StreamAppend[] {
  const byStream = new Map<string, EventData[]>();
  for (const { stream, ...event } of events) {
    const batch = byStream.get(stream) ?? [];
    batch.push(withCommandMetadata(event, options.metadata));
    byStream.set(stream, batch);
  }
  return [...byStream].map(([stream, batch]) => ({ stream, events: batch }));
}
