import { deepStrictEqual, fail } from 'node:assert/strict';
import type { Decider, DomainEvent } from '../command/decider.js';

/**
 * Given/when/then tests for a decider, with no store: given these events
 * happened, when this command arrives, then these events follow (or the
 * command is refused). Works with any test runner; failures throw.
 *
 * ```ts
 * given(account, [opened(500)]).when(withdraw(100)).then([{ type: 'Withdrawn', data: { amount: 100 } }]);
 * given(account, [opened(50)]).when(withdraw(100)).thenThrows((e) => e.code === 'COMMAND_REJECTED');
 * ```
 */
export function given<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  history: readonly Event[],
) {
  return {
    when(command: Command) {
      const decide = (): Event[] => {
        const state = history.reduce(decider.evolve, decider.initialState());
        const decided = decider.decide(command, state);
        return Array.isArray(decided) ? [...(decided as readonly Event[])] : [decided as Event];
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
