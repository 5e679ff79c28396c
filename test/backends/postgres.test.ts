import { afterAll, describe } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { describeEventStoreContract } from '../contract/event-store.contract.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

const schemas = new WeakMap<EventStore, string>();
let stores = 0;

describe.skipIf(database === undefined)('postgres backend', () => {
  describeEventStoreContract({
    name: 'postgres',
    async open(options) {
      const schema = `store_${stores++}`;
      const store = await openPostgresStore({ url: database!.url, schema, poolSize: 4, ...options });
      schemas.set(store, schema);
      return store;
    },
    async openAnother(store) {
      return openPostgresStore({ url: database!.url, schema: schemas.get(store)!, poolSize: 4 });
    },
  });
});
