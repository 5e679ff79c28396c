import { describe, expect, it } from 'vitest';
import { given } from '../../src/entry/testing.js';
import { rejectCommand, type Decider, type DomainEvent, type QueryDecider, type TaggedEvent } from '../../src/index.js';

type Booked = TaggedEvent<'RoomBooked' | 'BookingCancelled', { room: string; night: string; guest: string }>;
type Book = { room: string; night: string; guest: string };

/** A room is booked at most once a night, whichever guest's stream holds the booking. */
const booking: QueryDecider<Book, Booked, string | null> = {
  query: ({ room, night }) => [{ types: ['RoomBooked', 'BookingCancelled'], tags: [`room:${room}`, `night:${night}`] }],
  initialState: () => null,
  evolve: (_, event) => (event.type === 'RoomBooked' ? event.data.guest : null),
  decide: (command, guest) => {
    if (guest !== null) throw rejectCommand('the room is booked that night', { guest });
    return { stream: `guest-${command.guest}`, type: 'RoomBooked', data: command, tags: [`room:${command.room}`, `night:${command.night}`] };
  },
};

const booked = (room: string, night: string, guest: string): Booked => ({
  stream: `guest-${guest}`,
  type: 'RoomBooked',
  data: { room, night, guest },
  tags: [`room:${room}`, `night:${night}`],
});
const cancelled = (room: string, night: string, guest: string): Booked => ({ ...booked(room, night, guest), type: 'BookingCancelled' });
const rejected = (error: { code?: string }) => error.code === 'COMMAND_REJECTED';

describe('given / when / then with a query decider', () => {
  it('then: the events decided from the given events', () => {
    given(booking, [booked('7', '2026-12-24', 'bob'), cancelled('7', '2026-12-24', 'bob')])
      .when({ room: '7', night: '2026-12-24', guest: 'ada' })
      .then([booked('7', '2026-12-24', 'ada')]);
  });

  it('thenThrows: the refusal', () => {
    given(booking, [booked('7', '2026-12-24', 'bob')]).when({ room: '7', night: '2026-12-24', guest: 'ada' }).thenThrows(rejected);
  });

  it('folds only the given events the query matches for the command, as a store would read them', () => {
    const elsewhere = [
      booked('8', '2026-12-24', 'bob'),
      booked('7', '2026-12-25', 'bob'),
      { ...booked('7', '2026-12-24', 'bob'), tags: ['room:7'] },
      { ...booked('7', '2026-12-24', 'bob'), type: 'RoomCleaned' } as unknown as Booked,
    ];
    given(booking, elsewhere).when({ room: '7', night: '2026-12-24', guest: 'ada' }).then([booked('7', '2026-12-24', 'ada')]);
  });

  it('fails when the decision differs, when a refusal was expected but events came, and when the refusal is another one', () => {
    const when = given(booking, []).when({ room: '7', night: '2026-12-24', guest: 'ada' });
    expect(() => when.then([booked('7', '2026-12-24', 'bob')])).toThrow();
    expect(() => when.thenThrows(rejected)).toThrow(/expected the command to be refused/);
    const refused = given(booking, [booked('7', '2026-12-24', 'bob')]).when({ room: '7', night: '2026-12-24', guest: 'ada' });
    expect(() => refused.thenThrows((error) => error.code === 'INVALID_QUERY')).toThrow(/not as expected/);
  });

  it('a query the store would refuse fails the scenario with INVALID_QUERY', () => {
    const broken: QueryDecider<Book, Booked, string | null> = { ...booking, query: () => [] };
    given(broken, []).when({ room: '7', night: '2026-12-24', guest: 'ada' }).thenThrows((error) => error.code === 'INVALID_QUERY');
  });
});

describe('given / when / then with a single-stream decider', () => {
  type Counted = DomainEvent<'Counted', { total: number }>;
  const counter: Decider<{ add: number }, Counted, number> = {
    initialState: () => 0,
    evolve: (_, event) => event.data.total,
    decide: (command, total) => counted(total + command.add),
  };
  const counted = (total: number): Counted => ({ type: 'Counted', data: { total } });

  it('folds every given event, as before', () => {
    given(counter, [counted(2), counted(4)]).when({ add: 3 }).then([counted(7)]);
  });
});
