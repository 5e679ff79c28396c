import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/entry/sqlite.js';
import { given } from '../../src/entry/testing.js';
import { handleQueryCommand, isTributaryError, loadQueryState, type EventStore } from '../../src/index.js';
import { claimed, released, usernames, usernameTag } from './username.js';

const rejected = (error: { code?: string }) => error.code === 'COMMAND_REJECTED';

describe('unique username (given / when / then)', () => {
  it('claims a free username, in the user’s own stream, tagged with the name', () => {
    given(usernames, []).when({ type: 'ClaimUsername', userId: '1', username: 'ada' }).then([claimed('1', 'ada')]);
    expect(claimed('1', 'Ada')).toMatchObject({ stream: 'user-1', tags: ['username:ada'] });
  });

  it('refuses a username another user holds, whatever its case', () => {
    given(usernames, [claimed('1', 'ada')]).when({ type: 'ClaimUsername', userId: '2', username: 'ADA' }).thenThrows(rejected);
  });

  it('a released username is free again', () => {
    given(usernames, [claimed('1', 'ada'), released('1', 'ada')]).when({ type: 'ClaimUsername', userId: '2', username: 'ada' }).then([claimed('2', 'ada')]);
  });

  it('claiming the name you hold again changes nothing', () => {
    given(usernames, [claimed('1', 'ada')]).when({ type: 'ClaimUsername', userId: '1', username: 'ada' }).then([]);
  });

  it('only the holder releases a name', () => {
    given(usernames, [claimed('1', 'ada')]).when({ type: 'ReleaseUsername', userId: '2', username: 'ada' }).thenThrows(rejected);
    given(usernames, [claimed('1', 'ada')]).when({ type: 'ReleaseUsername', userId: '1', username: 'ada' }).then([released('1', 'ada')]);
  });

  it('a rename releases the old name and claims the new one in one decision, refused when the new one is taken', () => {
    given(usernames, [claimed('1', 'ada')]).when({ type: 'RenameUser', userId: '1', from: 'ada', to: 'lovelace' }).then([released('1', 'ada'), claimed('1', 'lovelace')]);
    given(usernames, [claimed('1', 'ada'), claimed('2', 'lovelace')]).when({ type: 'RenameUser', userId: '1', from: 'ada', to: 'lovelace' }).thenThrows(rejected);
  });

  it('claims of other names do not count', () => {
    given(usernames, [claimed('1', 'grace')]).when({ type: 'ClaimUsername', userId: '2', username: 'ada' }).then([claimed('2', 'ada')]);
  });

  it('refuses names that are too short, too long or hold other characters', () => {
    for (const username of ['ab', 'a'.repeat(33), 'ada lovelace', 'ada\u200b']) {
      given(usernames, []).when({ type: 'ClaimUsername', userId: '1', username }).thenThrows(rejected);
    }
  });
});

describe('unique username on a store', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-username-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  async function holderOf(store: EventStore, username: string): Promise<string | undefined> {
    const { state } = await loadQueryState(store, usernames.query({ type: 'ClaimUsername', userId: '', username }), usernames);
    return state[username.toLowerCase()];
  }

  it('claims, refuses, releases and claims again, each claim in its user’s stream', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      await handleQueryCommand(store, usernames, { type: 'ClaimUsername', userId: '1', username: 'ada' });
      await expect(handleQueryCommand(store, usernames, { type: 'ClaimUsername', userId: '2', username: 'Ada' })).rejects.toMatchObject({
        code: 'COMMAND_REJECTED',
        details: { username: 'Ada' },
      });
      await handleQueryCommand(store, usernames, { type: 'RenameUser', userId: '1', from: 'ada', to: 'lovelace' });
      await handleQueryCommand(store, usernames, { type: 'ClaimUsername', userId: '2', username: 'Ada' });
      expect(await holderOf(store, 'ada')).toBe('2');
      expect(await holderOf(store, 'lovelace')).toBe('1');
      expect((await store.readStream('user-1')).events.map((e) => `${e.type}:${e.tags.join()}`)).toEqual([
        'UsernameClaimed:username:ada',
        'UsernameReleased:username:ada',
        'UsernameClaimed:username:lovelace',
      ]);
      expect((await store.readAll({ tags: [usernameTag('ada')] })).events.map((e) => e.stream)).toEqual(['user-1', 'user-1', 'user-2']);
    } finally {
      await store.close();
    }
  });

  it('ten users claiming one name at once: exactly one wins, the others are told it is taken', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => handleQueryCommand(store, usernames, { type: 'ClaimUsername', userId: `${i}`, username: 'ada' }, { retries: 3 })),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(isTributaryError(outcome.reason, 'COMMAND_REJECTED')).toBe(true);
      }
      expect((await store.readAll({ tags: [usernameTag('ada')] })).events).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('without retries, a claim that lost the race fails with APPEND_CONDITION_FAILED rather than claim a taken name', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => handleQueryCommand(store, usernames, { type: 'ClaimUsername', userId: `${i}`, username: 'grace' })),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(['APPEND_CONDITION_FAILED', 'COMMAND_REJECTED']).toContain((outcome.reason as { code: string }).code);
      }
      expect((await store.readAll({ tags: [usernameTag('grace')] })).events).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('two processes’ store handles on one file, each claiming the same names at once: one winner per name', async () => {
    const path = join(folder, 'two-handles.db');
    const first = openSqliteStore({ path });
    const second = openSqliteStore({ path });
    try {
      const names = ['ada', 'grace', 'edsger', 'barbara'];
      const claims = names.flatMap((username) =>
        [first, second].map((store, i) => handleQueryCommand(store, usernames, { type: 'ClaimUsername', userId: `${username}-${i}`, username }, { retries: 5 })),
      );
      const outcomes = await Promise.allSettled(claims);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(names.length);
      for (const username of names) expect((await first.readAll({ tags: [usernameTag(username)] })).events).toHaveLength(1);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
