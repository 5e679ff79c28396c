import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { SchemaRegistry, SchemaWarning } from '../../src/store/schema-registry.js';
import { backends } from '../support/backends.js';
import { refusal } from '../support/refusal.js';

const ORDER_V1 = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: { orderId: { type: 'string' }, amount: { type: 'number' }, note: { type: 'string' } },
  additionalProperties: false,
};
// backward compatible: an optional field added to a closed content model
const ORDER_V2 = { ...ORDER_V1, properties: { ...ORDER_V1.properties, currency: { type: 'string', enum: ['EUR', 'USD'] } } };

describe.each(backends)('the schema registry on $name', ({ location }) => {
  let count = 0;
  async function fresh(): Promise<{ store: EventStore; schemas: SchemaRegistry }> {
    const store = await openStore(location(`registry-${++count}`));
    return { store, schemas: store.schemas! };
  }

  it('numbers versions from 1, returns the latest for an equal schema, and describes each type', async () => {
    const { store, schemas } = await fresh();
    expect(await schemas.register('OrderPlaced', ORDER_V1, { categories: ['order'] })).toMatchObject({ type: 'OrderPlaced', version: 1, schema: ORDER_V1 });
    expect((await schemas.register('OrderPlaced', ORDER_V2)).version).toBe(2);
    // the same document with its members in another order is the same schema
    const again = await schemas.register('OrderPlaced', { additionalProperties: false, properties: ORDER_V2.properties, required: ORDER_V2.required, type: 'object' });
    expect(again.version).toBe(2);
    expect(await schemas.list()).toEqual([{ type: 'OrderPlaced', latest: 2, compatibility: 'BACKWARD', categories: ['order'], upcasters: [] }]);
    expect((await schemas.version('OrderPlaced', 1)).schema).toEqual(ORDER_V1);
    expect((await schemas.version('OrderPlaced', 'latest')).version).toBe(2);
    expect((await schemas.describe('OrderPlaced')).versions.map((v) => v.version)).toEqual([1, 2]);
    expect(await refusal(schemas.version('OrderPlaced', 3))).toMatchObject({ code: 'SCHEMA_NOT_FOUND', details: { type: 'OrderPlaced', version: 3 } });
    expect((await refusal(schemas.describe('Nothing'))).code).toBe('SCHEMA_NOT_FOUND');
    // the registry is events in the store's own category, readable like any stream
    const registry = await store.readStream('$schemas-type-OrderPlaced');
    expect(registry.events.map((e) => e.type)).toEqual(['SchemaVersionRegistered', 'SchemaVersionRegistered']);
    await store.close();
  });

  it('enforce refuses a whole batch with one bad event, naming its index and field, and stores nothing', async () => {
    const { store, schemas } = await fresh();
    await schemas.register('OrderPlaced', ORDER_V1);
    await schemas.setMode('order', 'enforce');
    const head = await store.headPosition();
    const refused = await refusal(
      store.append('order-1', [
        { type: 'OrderPlaced', data: { orderId: 'o1', amount: 5 } },
        { type: 'OrderPlaced', data: { orderId: 'o2', amount: 'five' } },
        { type: 'OrderPlaced', data: { orderId: 'o3' } },
      ]),
    );
    expect(refused.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(refused.details['failures']).toEqual([
      { index: 1, stream: 'order-1', type: 'OrderPlaced', version: 1, path: '/data/amount', message: 'must be number' },
      { index: 2, stream: 'order-1', type: 'OrderPlaced', version: 1, path: '/data/amount', message: 'is required' },
    ]);
    expect(await store.headPosition()).toBe(head);
    expect((await store.streamInfo('order-1')).exists).toBe(false);
    // other categories are not checked
    await store.append('invoice-1', [{ type: 'OrderPlaced', data: { anything: true } }]);
    await store.close();
  });

  it('enforce refuses a type with no schema and a version that does not exist, and records the version an event was checked against', async () => {
    const { store, schemas } = await fresh();
    await schemas.register('OrderPlaced', ORDER_V1);
    await schemas.register('OrderPlaced', ORDER_V2);
    await schemas.setMode('order', 'enforce');
    expect((await refusal(store.append('order-1', [{ type: 'OrderShipped', data: {} }]))).details['failures']).toMatchObject([{ path: '/type', version: null }]);
    const badVersion = await refusal(store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 'o', amount: 1 }, metadata: { schemaVersion: 7 } }]));
    expect(badVersion.details['failures']).toMatchObject([{ path: '/metadata/schemaVersion', version: null }]);
    // version 1 has no currency; the latest has one, from a list
    expect((await refusal(store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 'a', amount: 1, currency: 'EUR' }, metadata: { schemaVersion: 1 } }]))).details['failures']).toMatchObject([
      { version: 1, path: '/data/currency', message: 'is not allowed: the schema has no such field' },
    ]);
    await store.append('order-1', [
      { type: 'OrderPlaced', data: { orderId: 'a', amount: 1 }, metadata: { schemaVersion: 1 } },
      { type: 'OrderPlaced', data: { orderId: 'b', amount: 2, currency: 'EUR' }, metadata: { correlationId: 'c-1' } },
    ]);
    const stored = await store.readStream('order-1', { raw: true });
    expect(stored.events.map((e) => e.metadata)).toEqual([{ schemaVersion: 1 }, { correlationId: 'c-1', schemaVersion: 2 }]);
    expect((await refusal(store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 'c', amount: 1, currency: 'GBP' } }]))).details['failures']).toMatchObject([
      { version: 2, path: '/data/currency' },
    ]);
    await store.close();
  });

  it('an append retried with the same ids stays an idempotent retry: the version recorded is the same', async () => {
    const { store, schemas } = await fresh();
    await schemas.register('OrderPlaced', ORDER_V1);
    await schemas.setMode('order', 'enforce');
    const events = [{ id: '0190a4e1-0000-7000-8000-000000000001', type: 'OrderPlaced', data: { orderId: 'o1', amount: 5 } }];
    const first = await store.append('order-1', events, { expectedRevision: 'no_stream' });
    expect(await store.append('order-1', events, { expectedRevision: 'no_stream' })).toEqual(first);
    expect((await store.readStream('order-1')).events).toHaveLength(1);
    await store.close();
  });

  it('a multi-stream append is refused whole when one stream breaks its schema; failures name the stream', async () => {
    const { store, schemas } = await fresh();
    await schemas.register('OrderPlaced', ORDER_V1);
    await schemas.setMode('order', 'enforce');
    const refused = await refusal(
      store.appendMany([
        { stream: 'audit-1', events: [{ type: 'Noted', data: {} }] },
        { stream: 'order-9', events: [{ type: 'OrderPlaced', data: { orderId: 9 } }] },
      ]),
    );
    expect(refused.details['failures']).toMatchObject([{ index: 0, stream: 'order-9', path: '/data/amount' }]);
    expect((await store.streamInfo('audit-1')).exists).toBe(false);
    await store.close();
  });

  it('warn stores what breaks its schema and tells the listeners; off only records versions', async () => {
    const { store, schemas } = await fresh();
    await schemas.register('OrderPlaced', ORDER_V1);
    await schemas.setMode('order', 'warn');
    const warnings: SchemaWarning[] = [];
    schemas.onWarning((warning) => warnings.push(warning));
    await store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 1 } }]);
    expect(warnings).toMatchObject([{ category: 'order', stream: 'order-1', index: 0, path: '/data/amount' }]);
    await schemas.setMode('order', 'off');
    await store.append('order-1', [{ type: 'OrderPlaced', data: 'anything' }, { type: 'Unregistered', data: {} }]);
    expect(warnings).toHaveLength(1);
    const stored = await store.readStream('order-1', { raw: true });
    expect(stored.events.map((e) => [e.data, e.metadata])).toEqual([
      [{ orderId: 1 }, { schemaVersion: 1 }],
      ['anything', { schemaVersion: 1 }],
      [{}, {}],
    ]);
    expect(await schemas.modes()).toEqual([{ category: 'order', mode: 'off' }]);
    await store.close();
  });

  it('refuses a version that breaks the compatibility mode, and registers it once the mode allows', async () => {
    const { store, schemas } = await fresh();
    await schemas.register('OrderPlaced', ORDER_V1);
    const narrowed = { ...ORDER_V1, required: [...ORDER_V1.required, 'note'] };
    const refused = await refusal(schemas.register('OrderPlaced', narrowed));
    expect(refused).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', details: { type: 'OrderPlaced', compatibility: 'BACKWARD' } });
    expect(refused.details['breaks']).toMatchObject([{ version: 1, direction: 'backward', path: '/note', change: 'required-added' }]);
    expect(await schemas.check('OrderPlaced', narrowed)).toMatchObject({ compatible: false, version: 2, checkedAgainst: [1] });
    expect((await schemas.describe('OrderPlaced')).versions).toHaveLength(1);
    // FORWARD: old readers must read the new events, and a required field added is fine for them
    await schemas.setCompatibility('OrderPlaced', 'FORWARD');
    expect((await schemas.register('OrderPlaced', narrowed)).version).toBe(2);
    await store.close();
  });

  it('refuses bad registrations with a coded error and registers nothing', async () => {
    const { store, schemas } = await fresh();
    const head = await store.headPosition();
    const cases: [string, () => Promise<unknown>, string][] = [
      ['not JSON Schema', () => schemas.register('A', { type: 'strin' }), 'INVALID_SCHEMA'],
      ['a number', () => schemas.register('A', 42 as never), 'INVALID_SCHEMA'],
      ['$ref to the network', () => schemas.register('A', { $ref: 'https://example.com/a.json' }), 'INVALID_SCHEMA'],
      ['$ref to an unregistered version', () => schemas.register('A', { $ref: 'tributary:schemas/B/versions/1' }), 'INVALID_SCHEMA'],
      ['another draft', () => schemas.register('A', { $schema: 'http://json-schema.org/draft-07/schema#' }), 'INVALID_SCHEMA'],
      ['a nested $id', () => schemas.register('A', { $defs: { x: { $id: 'http://x/y' } } }), 'INVALID_SCHEMA'],
      ['a bad pattern', () => schemas.register('A', { type: 'string', pattern: '(' }), 'INVALID_SCHEMA'],
      ['a type with a control character', () => schemas.register('A\u0007', {}), 'INVALID_SCHEMA'],
      ['an empty type', () => schemas.register('', {}), 'INVALID_SCHEMA'],
      ['a bad category', () => schemas.register('A', {}, { categories: ['order-1'] }), 'INVALID_SCHEMA'],
      ['a $ category', () => schemas.setMode('$schemas', 'enforce'), 'INVALID_SCHEMA'],
      ['an unknown mode', () => schemas.setMode('order', 'strict' as never), 'INVALID_SCHEMA'],
      ['an unknown compatibility', () => schemas.setCompatibility('A', 'SIDEWAYS' as never), 'INVALID_SCHEMA'],
      ['rules for an unregistered type', () => schemas.addUpcaster('A', 1, [{ op: 'drop', path: '/x' }]), 'SCHEMA_NOT_FOUND'],
    ];
    for (const [what, attempt, code] of cases) expect((await refusal(attempt())).code, what).toBe(code);
    expect(await store.headPosition()).toBe(head);
    expect(await schemas.list()).toEqual([]);
    await store.close();
  });

  it("refuses every write to the store's own $ streams", async () => {
    const { store, schemas } = await fresh();
    await schemas.register('A', {});
    for (const attempt of [
      () => store.append('$schemas-type-A', [{ type: 'SchemaVersionRegistered', data: {} }]),
      () => store.appendMany([{ stream: '$schemas-mode-x', events: [{ type: 'X', data: {} }] }]),
      () => store.setStreamMetadata('$schemas-type-A', { maxCount: 1 }),
      () => store.deleteStream('$schemas-type-A'),
      () => store.tombstoneStream('$schemas-type-A'),
    ]) {
      expect(await refusal(attempt())).toMatchObject({ code: 'RESERVED_STREAM' });
    }
    expect((await store.readStream('$schemas-type-A')).events).toHaveLength(1);
    await store.close();
  });

  it('upcasts on every read with stored rules and with functions; raw reads what was stored', async () => {
    const { store, schemas } = await fresh();
    const v1 = { type: 'object', properties: { name: { type: 'string' } } };
    const v2 = { type: 'object', properties: { fullName: { type: 'string' }, country: { type: 'string' } } };
    const v3 = { type: 'object', properties: { fullName: { type: 'string' }, country: { type: 'string' }, tier: { type: 'integer' } } };
    await schemas.setCompatibility('CustomerJoined', 'NONE');
    await schemas.register('CustomerJoined', v1);
    await store.append('customer-1', [{ type: 'CustomerJoined', data: { name: 'Ada' } }]);
    await schemas.register('CustomerJoined', v2);
    await schemas.addUpcaster('CustomerJoined', 1, [
      { op: 'rename', path: '/name', to: 'fullName' },
      { op: 'default', path: '/country', value: 'NL' },
    ]);
    await store.append('customer-2', [{ type: 'CustomerJoined', data: { fullName: 'Grace', country: 'US' } }]);
    // an event written before its type had any schema reads as version 1
    await store.append('customer-3', [{ type: 'CustomerJoined', data: { name: 'Edsger' }, metadata: { schemaVersion: 1 } }]);
    const read = await store.readAll({ categories: ['customer'] });
    expect(read.events.map((e) => [e.data, e.metadata['schemaVersion']])).toEqual([
      [{ fullName: 'Ada', country: 'NL' }, 2],
      [{ fullName: 'Grace', country: 'US' }, 2],
      [{ fullName: 'Edsger', country: 'NL' }, 2],
    ]);
    expect(JSON.parse(read.events[0]!.toJsonText())).toMatchObject({ data: { fullName: 'Ada', country: 'NL' }, metadata: { schemaVersion: 2 } });
    expect((await store.readStream('customer-1', { raw: true })).events[0]!.data).toEqual({ name: 'Ada' });
    await schemas.register('CustomerJoined', v3);
    const removeFunction = schemas.upcaster('CustomerJoined', 2, (data) => ({ ...(data as object), tier: 1 }));
    expect((await store.readStream('customer-1')).events[0]!.data).toEqual({ fullName: 'Ada', country: 'NL', tier: 1 });
    expect((await store.readStream('customer-2')).events[0]!.metadata).toEqual({ schemaVersion: 3 });
    removeFunction();
    expect((await store.readStream('customer-1')).events[0]!.data).toEqual({ fullName: 'Ada', country: 'NL' });
    expect((await store.readStream('customer-1')).events[0]!.metadata).toEqual({ schemaVersion: 3 });
    expect((await schemas.describe('CustomerJoined')).rules).toEqual([
      { fromVersion: 1, rules: [{ op: 'rename', path: '/name', to: 'fullName' }, { op: 'default', path: '/country', value: 'NL' }] },
    ]);
    await store.close();
  });

  it('a second handle sees a new version and mode within a second', async () => {
    const name = `registry-${++count}`;
    const writer = await openStore(location(name));
    const other = await openStore(location(name));
    await other.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 1 } }]);
    await writer.schemas!.register('OrderPlaced', ORDER_V1);
    await writer.schemas!.setMode('order', 'enforce');
    const started = Date.now();
    for (;;) {
      const outcome = await other.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 2 } }]).then(
        () => 'stored',
        (error: { code?: string }) => error.code,
      );
      if (outcome === 'SCHEMA_VALIDATION_FAILED') break;
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all([writer.close(), other.close()]);
  });
});
