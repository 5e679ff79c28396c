import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { scratch } from '../support/backends.js';

const names = async (store: EventStore) => (await store.readAll({ limit: 100 })).events.filter((event) => event.type === 'MemberJoined').map((event) => event.data);

// the steps of a chain are kept between reads: each change of rules, functions or versions must still reach the next read
it('reads with the upcasters as they are now, after rules are stored, a function is added and removed, and a version is registered', async () => {
  const store = await openStore(join(scratch, `upcaster-chains-${process.pid}.db`));
  try {
    const schemas = store.schemas!;
    await schemas.setCompatibility('MemberJoined', 'NONE');
    await schemas.register('MemberJoined', { type: 'object', properties: { name: { type: 'string' } } });
    await store.append('member-1', [{ type: 'MemberJoined', data: { name: 'Ada' } }]);
    await schemas.register('MemberJoined', { type: 'object', properties: { fullName: { type: 'string' } } });
    expect(await names(store)).toEqual([{ name: 'Ada' }]);

    await schemas.addUpcaster('MemberJoined', 1, [{ op: 'rename', path: '/name', to: 'fullName' }]);
    expect(await names(store)).toEqual([{ fullName: 'Ada' }]);

    const remove = schemas.upcaster('MemberJoined', 1, () => ({ fullName: 'from a function' }));
    expect(await names(store)).toEqual([{ fullName: 'from a function' }]);
    remove();
    expect(await names(store)).toEqual([{ fullName: 'Ada' }]);

    await schemas.register('MemberJoined', { type: 'object', properties: { fullName: { type: 'string' }, tier: { type: 'string' } } });
    await schemas.addUpcaster('MemberJoined', 2, [{ op: 'default', path: '/tier', value: 'basic' }]);
    expect(await names(store)).toEqual([{ fullName: 'Ada', tier: 'basic' }]);
  } finally {
    await store.close();
  }
});
