import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import { backends } from '../support/backends.js';

const token = (id: string, scopes: string[]) => ({ id, name: `${id} name`, secretHash: `${id} hash`, scopes });

describe.each(backends)('the token store on $name', ({ location }) => {
  it('creates, lists oldest first without hashes, finds with the hash, revokes once', async () => {
    const store = await openStore(location('tokens'));
    const tokens = store.tokens!;
    const before = Date.now();
    try {
      await tokens.create(token('tok-1', ['admin']));
      await tokens.create(token('tok-2', ['read:order', 'write:payment']));
      const listed = await tokens.list();
      expect(listed.map(({ id, name, scopes, revokedAt }) => ({ id, name, scopes, revokedAt }))).toEqual([
        { id: 'tok-1', name: 'tok-1 name', scopes: ['admin'], revokedAt: null },
        { id: 'tok-2', name: 'tok-2 name', scopes: ['read:order', 'write:payment'], revokedAt: null },
      ]);
      expect(listed[0]).not.toHaveProperty('secretHash');
      expect(listed[0]!.createdAt).toBeGreaterThanOrEqual(before);
      expect(await tokens.find('tok-2')).toMatchObject({ id: 'tok-2', secretHash: 'tok-2 hash', scopes: ['read:order', 'write:payment'] });
      expect(await tokens.find('tok-3')).toBeUndefined();

      expect(await tokens.revoke('tok-1')).toBe(true);
      expect(await tokens.revoke('tok-1')).toBe(false);
      expect(await tokens.revoke('tok-3')).toBe(false);
      expect((await tokens.find('tok-1'))!.revokedAt).toBeGreaterThanOrEqual(listed[0]!.createdAt);
      expect((await tokens.find('tok-2'))!.revokedAt).toBeNull();
    } finally {
      await store.close();
    }
    const closed = await tokens.find('tok-1').catch((error: unknown) => error);
    expect(isTributaryError(closed, 'STORE_CLOSED')).toBe(true);
  });
});
