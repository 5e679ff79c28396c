import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { rawReads } from '../../src/store/raw-reads.js';
import { backends } from '../support/backends.js';

describe.each(backends)('asOf through the store\'s wrappers on $name', ({ location }) => {
  it('the schema door and rawReads pass asOf on, and refuse what the backend refuses', async () => {
    const store = await openStore(location('as-of-doors'));
    try {
      await store.append('account-12345', [{ type: 'Deposited', data: { amount: 100 } }]);
      await store.append('account-12345', [{ type: 'Withdrawn', data: { amount: 30 } }]);
      for (const door of [store, rawReads(store)]) {
        expect((await door.readAll({ asOf: 1 })).events.map((event) => event.position)).toEqual([1]);
        expect((await door.readStream('account-12345', { asOf: '1', direction: 'backward' })).events.map((event) => event.revision)).toEqual([0]);
        await expect(door.readAll({ asOf: 3 })).rejects.toMatchObject({ code: 'INVALID_AS_OF' });
        await expect(door.positionAt('someday')).rejects.toMatchObject({ code: 'INVALID_AS_OF' });
      }
    } finally {
      await store.close();
    }
  });
});
