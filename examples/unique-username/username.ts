// A username is unique across all users, but each claim is written to its user's own stream:
// the rule spans every user stream, so no single stream's expected revision can keep it.
// The decision reads the events tagged with the username, wherever they are, and appends
// on the condition that none appeared since.
import { rejectCommand, type EventQuery, type QueryDecider, type TaggedEvent } from '../../src/index.js';

export type UsernameEvent =
  | TaggedEvent<'UsernameClaimed', { userId: string; username: string }>
  | TaggedEvent<'UsernameReleased', { userId: string; username: string }>;

export type UsernameCommand =
  | { type: 'ClaimUsername'; userId: string; username: string }
  | { type: 'ReleaseUsername'; userId: string; username: string }
  | { type: 'RenameUser'; userId: string; from: string; to: string };

/** Who holds each username the command is about (the key is the tag's name, in the form compared). */
export type UsernameHolders = Record<string, string>;

const NAME = /^[\p{L}\p{N}_.-]{3,32}$/u;

/** The username as it is compared: `Ada` and `ada` are one name. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/**
 * The tag every claim and release of `username` carries, in every user's
 * stream. A name that cannot be one is refused here, before the query that
 * holds its tag is read.
 */
export function usernameTag(username: string): string {
  if (!NAME.test(username)) throw rejectCommand('a username is 3 to 32 letters, digits, ".", "_" or "-"', { username });
  return `username:${usernameKey(username)}`;
}

const userStream = (userId: string) => `user-${userId}`;

function namesOf(command: UsernameCommand): string[] {
  return command.type === 'RenameUser' ? [command.from, command.to] : [command.username];
}

export const usernames: QueryDecider<UsernameCommand, UsernameEvent, UsernameHolders> = {
  // one item per name: items are OR'ed, so a rename reads (and guards) both names at once
  query: (command): EventQuery => namesOf(command).map((name) => ({ types: ['UsernameClaimed', 'UsernameReleased'], tags: [usernameTag(name)] })),

  initialState: () => ({}),

  evolve(holders, event) {
    const key = usernameKey(event.data.username);
    if (event.type === 'UsernameClaimed') return { ...holders, [key]: event.data.userId };
    const { [key]: _released, ...rest } = holders;
    return rest;
  },

  decide(command, holders) {
    const { userId } = command;
    if (command.type === 'ClaimUsername') {
      const holder = holders[usernameKey(command.username)];
      // claiming your own name again changes nothing: a retried request succeeds without a second event
      if (holder === userId) return [];
      if (holder !== undefined) throw rejectCommand('the username is taken', { username: command.username });
      return [claimed(userId, command.username)];
    }
    if (command.type === 'ReleaseUsername') {
      if (holders[usernameKey(command.username)] !== userId) throw rejectCommand('the username is not yours to release', { username: command.username });
      return [released(userId, command.username)];
    }
    if (holders[usernameKey(command.from)] !== userId) throw rejectCommand('the old username is not yours', { username: command.from });
    if (holders[usernameKey(command.to)] !== undefined) throw rejectCommand('the username is taken', { username: command.to });
    return [released(userId, command.from), claimed(userId, command.to)];
  },
};

export function claimed(userId: string, username: string): UsernameEvent {
  return { stream: userStream(userId), type: 'UsernameClaimed', data: { userId, username }, tags: [usernameTag(username)] };
}

export function released(userId: string, username: string): UsernameEvent {
  return { stream: userStream(userId), type: 'UsernameReleased', data: { userId, username }, tags: [usernameTag(username)] };
}
