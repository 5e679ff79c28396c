import { isTributaryError } from '../../src/core/errors.js';
import type { EventData } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { rateOf } from './interleave.js';
import { timed } from './measure.js';
import { AnswerPasses, payload, type Run } from './scenarios.js';

/** What the consistency scenarios need of a store. */
export type ConsistencyStore = Pick<EventStore, 'append' | 'appendMany' | 'headPosition' | 'close'>;

export interface ConsistencySizes {
  /** Calls made by the one sequential caller. */
  calls: number;
  /** Calls made by each of the concurrent callers. */
  perCaller: number;
  /** Streams (or rooms) the sequential caller takes in turn; each concurrent caller keeps its own. */
  streams: number;
}

/** One call of a scenario: `caller` of `callers`, its `call`-th; `index` numbers the call across all callers. */
interface Call {
  caller: number;
  call: number;
  index: number;
  callers: number;
}

/** Which stream (or room) a call writes: the sequential caller takes them in turn, a concurrent caller keeps its own. */
const slotOf = ({ caller, call, callers }: Call, streams: number) => (callers === 1 ? call % streams : caller);

/**
 * `callers` callers making their calls at once (one caller: in sequence), on a fresh store from `open`.
 * Figures: `rate` in events/s, and `rowsPerCommit`, the events each commit held as the callers saw it (see AnswerPasses).
 */
function callersRun(sizes: ConsistencySizes, open: () => Promise<ConsistencyStore>, callers: number, eventsPerCall: number, body: (store: ConsistencyStore, call: Call) => Promise<unknown>): Run {
  const calls = callers === 1 ? sizes.calls : sizes.perCaller;
  return async () => {
    const store = await open();
    const passes = new AnswerPasses();
    const seconds = await timed(() =>
      Promise.all(
        Array.from({ length: callers }, async (_, caller) => {
          for (let call = 0; call < calls; call++) {
            await body(store, { caller, call, index: caller * calls + call, callers });
            passes.answered();
          }
        }),
      ),
    );
    await store.close();
    const events = callers * calls * eventsPerCall;
    return { ...rateOf({ events, seconds }), rowsPerCommit: events / passes.passes };
  };
}

const deposit = (index: number): EventData => ({ type: 'Deposited', data: payload(index) });

/**
 * The same two events per call, written two ways: `appendMany` to two streams, one event each (a transfer
 * between two accounts), and `append` of both to one stream. Expected revisions are `any` in both.
 */
export function multiStreamScenarios(sizes: ConsistencySizes, open: () => Promise<ConsistencyStore>): { appendMany: (callers: number) => Run; append: (callers: number) => Run } {
  return {
    appendMany: (callers) =>
      callersRun(sizes, open, callers, 2, (store, call) => {
        const slot = slotOf(call, sizes.streams);
        return store.appendMany([
          { stream: `account-${2 * slot}`, events: [deposit(2 * call.index)] },
          { stream: `account-${2 * slot + 1}`, events: [deposit(2 * call.index + 1)] },
        ]);
      }),
    append: (callers) =>
      callersRun(sizes, open, callers, 2, (store, call) => store.append(`account-${slotOf(call, sizes.streams)}`, [deposit(2 * call.index), deposit(2 * call.index + 1)])),
  };
}

/** The booking of a room: one event to the room's stream, tagged with the room. */
const booking = (room: number, index: number): EventData => ({ type: 'RoomBooked', data: payload(index), tags: [`room:${room}`] });

/** Books `room` on the condition that no event tagged with it came after `after`; a conflict is a fault of the scenario. */
async function book(store: ConsistencyStore, room: number, index: number, after: number) {
  try {
    return await store.append(`room-${room}`, [booking(room, index)], { condition: { failIfEventsMatch: [{ tags: [`room:${room}`] }], after } });
  } catch (error) {
    if (isTributaryError(error, 'APPEND_CONDITION_FAILED')) {
      throw new Error(`the benchmark's booking of room ${room} after ${after} met a conflict: its callers must not share a room`, { cause: error });
    }
    throw error;
  }
}

/**
 * The same tagged event per call, written four ways: as a decider across streams would (the head read first,
 * then the append on the condition that no event tagged with the room came after it); on the same condition
 * after the position of the room's last booking, which the caller knows from its answer (the append alone,
 * as a decider that keeps the position it read makes it); unconditionally; and unconditionally after the
 * same head read (so that the check's own price shows apart from the read's).
 * Each concurrent caller books its own room, so no condition fails: the figure is the price of the check, not of retries.
 * A condition that does fail is a fault of the scenario and stops the run.
 */
export function conditionScenarios(
  sizes: ConsistencySizes,
  open: () => Promise<ConsistencyStore>,
): {
  conditional: (callers: number) => Run;
  conditionalKnownAfter: (callers: number) => Run;
  unconditional: (callers: number) => Run;
  headReadThenUnconditional: (callers: number) => Run;
} {
  return {
    conditional: (callers) =>
      callersRun(sizes, open, callers, 1, async (store, call) => book(store, slotOf(call, sizes.streams), call.index, await store.headPosition())),
    conditionalKnownAfter: (callers) => {
      // per store, so each run starts from a fresh log
      const lastBookings = new WeakMap<ConsistencyStore, Map<number, number>>();
      return callersRun(sizes, open, callers, 1, async (store, call) => {
        const room = slotOf(call, sizes.streams);
        const rooms = lastBookings.get(store) ?? new Map<number, number>();
        lastBookings.set(store, rooms);
        const result = await book(store, room, call.index, rooms.get(room) ?? 0);
        rooms.set(room, result.position);
        return result;
      });
    },
    unconditional: (callers) =>
      callersRun(sizes, open, callers, 1, (store, call) => {
        const room = slotOf(call, sizes.streams);
        return store.append(`room-${room}`, [booking(room, call.index)]);
      }),
    headReadThenUnconditional: (callers) =>
      callersRun(sizes, open, callers, 1, async (store, call) => {
        const room = slotOf(call, sizes.streams);
        await store.headPosition();
        return store.append(`room-${room}`, [booking(room, call.index)]);
      }),
  };
}
