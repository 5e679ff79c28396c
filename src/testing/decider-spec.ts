import { deepStrictEqual, fail } from 'node:assert/strict';
import type { Decider, DomainEvent } from '../command/decider.js';
import { decidedEvents } from '../command/decided-events.js';
import type { QueryDecider, TaggedEvent } from '../command/query-decider.js';
import { checkQuery, matchesQuery } from '../core/event-query.js';

/**
 * Given/when/then tests for a decider, with no store: given these events
 * happened, when this command arrives, then these events follow (or the
 * command is refused). Works with any test runner; failures throw.
 *
 * A {@link QueryDecider} works too: of the given events, only those its
 * query matches for the command are folded, as a store would read them, so
 * the test covers the query as well as the decision.
 *
 * ```ts
 * given(account, [opened(500)]).when(withdraw(100)).then([{ type: 'Withdrawn', data: { amount: 100 } }]);
 * given(account, [opened(50)]).when(withdraw(100)).thenThrows((e) => e.code === 'COMMAND_REJECTED');
 * given(claimUsername, [claimedBy('7', 'ada')]).when({ userId: '8', username: 'ada' }).thenThrows((e) => e.code === 'COMMAND_REJECTED');
 * ```
 */
export function given<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  history: readonly Event[],
) {
  return {
    when(command: Command) {
      const decide = (): Event[] => {
        const folded = history.filter(readBy(decider, command));
        return decidedEvents(decider.decide(command, folded.reduce(decider.evolve, decider.initialState())));
      };
      return {
        then(expected: readonly Event[]): void {
          deepStrictEqual(decide(), [...expected]);
        },
        thenThrows(check: (error: Error & { code?: string }) => boolean): void {
          let events: Event[];
          try {
            events = decide();
          } catch (error) {
            if (!check(error as Error & { code?: string })) fail(`the command was refused, but not as expected: ${String(error)}`);
            return;
          }
          fail(`expected the command to be refused, but it produced ${JSON.stringify(events)}`);
        },
      };
    },
  };
}

/** Which given events the decision reads: all for a single-stream decider, those its query matches for a query decider. */
function readBy<Command, Event extends DomainEvent>(decider: object, command: Command): (event: Event) => boolean {
  const { query } = decider as Partial<QueryDecider<Command, TaggedEvent, unknown>>;
  if (typeof query !== 'function') return () => true;
  const items = checkQuery(query(command));
  return (event) => matchesQuery(items, event.type, (event as Partial<TaggedEvent>).tags ?? []);
}
