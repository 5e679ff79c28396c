import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteEventStore } from '../../src/backends/sqlite/sqlite-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { cli, cliAsync } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-schema-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const placedV1 = { type: 'object', required: ['orderId', 'amount'], properties: { orderId: { type: 'string' }, amount: { type: 'number' } }, additionalProperties: false };
const placedV2 = { ...placedV1, properties: { ...placedV1.properties, currency: { type: 'string' } } };
const placedBreaking = { ...placedV1, required: ['orderId', 'amount', 'customer'] };

function file(name: string, content: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const v1 = file('placed.v1.json', placedV1);
const v2 = file('placed.v2.json', placedV2);
const breaking = file('placed.breaking.json', placedBreaking);
const rules = file('rules.json', [{ op: 'default', path: '/currency', value: 'EUR' }]);
const batch = '{"type":"OrderPlaced","data":{"orderId":"o-1","amount":5}}\n{"type":"OrderPlaced","data":{"orderId":"o-2","amount":"five"}}\n';

function lines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('tributary schema on a SQLite file', () => {
  const db = join(folder, 'schema.db');

  it('adds, lists, shows, sets modes, compatibility and upcasters; refuses what the registry refuses', () => {
    expect(cli(['schema', 'add', 'OrderPlaced', v1, '--category', 'order', '--category', 'sales'], db)).toMatchObject({ code: 0, stdout: 'OrderPlaced: registered version 1\n' });
    expect(cli(['schema', 'add', 'OrderPlaced', v1], db).stdout).toBe('OrderPlaced: unchanged, the schema equals version 1\n');
    const incompatible = cli(['schema', 'add', 'OrderPlaced', breaking], db);
    expect(incompatible.code).toBe(1);
    expect(incompatible.stderr).toMatch(/^tributary: SCHEMA_INCOMPATIBLE: .*"change":"required-added"/);
    expect(JSON.parse(cli(['schema', 'add', 'OrderPlaced', v2, '--json'], db).stdout)).toMatchObject({ type: 'OrderPlaced', version: 2, schema: placedV2 });
    expect(cli(['schema', 'upcast', 'OrderPlaced', '1', rules], db)).toMatchObject({ code: 0, stdout: 'OrderPlaced: upcaster 1 -> 2 stored\n' });
    expect(cli(['schema', 'compat', 'OrderPlaced', 'FULL'], db).stdout).toBe('OrderPlaced: FULL\n');
    expect(cli(['schema', 'compat', 'OrderPlaced'], db).stdout).toBe('OrderPlaced: FULL\n');

    expect(cli(['schema', 'list'], db).stdout).toBe('OrderPlaced\tv2\tFULL\torder,sales\t1->2\n');
    expect(JSON.parse(cli(['schema', 'list', '--json'], db).stdout)).toEqual([{ type: 'OrderPlaced', latest: 2, compatibility: 'FULL', categories: ['order', 'sales'], upcasters: [1] }]);
    const shown = cli(['schema', 'show', 'OrderPlaced'], db).stdout;
    expect(shown).toMatch(/^OrderPlaced\tv2\tFULL/);
    expect(shown).toContain('version 1, registered');
    expect(shown).toContain('upcaster 1 -> 2:\n  {"op":"default","path":"/currency","value":"EUR"}');
    expect(JSON.parse(cli(['schema', 'show', 'OrderPlaced', '--version', '1'], db).stdout)).toEqual(placedV1);
    expect(JSON.parse(cli(['schema', 'show', 'OrderPlaced', '--version', 'latest', '--json'], db).stdout)).toMatchObject({ version: 2, schema: placedV2 });
    expect(JSON.parse(cli(['schema', 'show', 'OrderPlaced', '--json'], db).stdout)).toMatchObject({ versions: [{ version: 1 }, { version: 2 }], rules: [{ fromVersion: 1 }] });

    expect(cli(['schema', 'mode'], db).stdout).toBe('');
    expect(cli(['schema', 'mode', 'order', 'warn'], db).stdout).toBe('order: warn\n');
    expect(cli(['schema', 'mode'], db).stdout).toBe('order\twarn\n');
    expect(cli(['schema', 'mode', 'order'], db).stdout).toBe('order: warn\n');
    expect(cli(['schema', 'mode', 'stock'], db).stdout).toBe('stock: off\n');

    const refusals: [string[], number, string][] = [
      [['schema', 'mode', 'order', 'strict'], 1, 'INVALID_SCHEMA'],
      [['schema', 'compat', 'OrderPlaced', 'SIDEWAYS'], 1, 'INVALID_SCHEMA'],
      [['schema', 'show', 'Nothing'], 1, 'SCHEMA_NOT_FOUND'],
      [['schema', 'show', 'OrderPlaced', '--version', '9'], 1, 'SCHEMA_NOT_FOUND'],
      [['schema', 'add', 'OrderPlaced', join(folder, 'missing.json')], 2, 'INVALID_ARGUMENT'],
      [['schema', 'add', 'OrderPlaced', file('not-json.json', '{')], 2, 'INVALID_ARGUMENT'],
      [['schema', 'add', 'Remote', file('remote.json', { $ref: 'http://example.com/s.json' })], 1, 'INVALID_SCHEMA'],
      [['schema', 'upcast', 'OrderPlaced', 'one', rules], 2, 'INVALID_ARGUMENT'],
      [['schema', 'explode'], 2, 'INVALID_ARGUMENT'],
    ];
    for (const [args, code, error] of refusals) {
      const result = cli(args, db);
      expect([args.join(' '), result.code, result.stderr.split(':')[1]?.trim()]).toEqual([args.join(' '), code, error]);
    }
    expect(cli(['schema', 'mode'], db).stdout).toBe('order\twarn\n');
    expect(cli(['schema', 'list'], db).stdout).toBe('OrderPlaced\tv2\tFULL\torder,sales\t1->2\n');
  });

  it('append of a batch with one bad event into an enforce category exits 1 naming index and path, and stores nothing; --raw reads as stored', () => {
    const enforced = join(folder, 'enforce.db');
    expect(cli(['schema', 'add', 'OrderPlaced', v1, '--category', 'order'], enforced).code).toBe(0);
    expect(cli(['schema', 'mode', 'order', 'enforce'], enforced).code).toBe(0);
    const refused = cli(['append', 'order-1'], enforced, batch);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^tributary: SCHEMA_VALIDATION_FAILED: /);
    expect(refused.stderr).toMatch(/"index":1,/);
    expect(refused.stderr).toContain('"path":"/data/amount"');
    expect(cli(['read', 'order-1'], enforced).stderr).toMatch(/STREAM_NOT_FOUND/);
    expect(cli(['read-all', '--category', 'order'], enforced).stdout).toBe('');

    expect(cli(['append', 'order-1'], enforced, batch.split('\n')[0]).code).toBe(0);
    expect(cli(['schema', 'add', 'OrderPlaced', v2], enforced).code).toBe(0);
    expect(cli(['schema', 'upcast', 'OrderPlaced', '1', rules], enforced).code).toBe(0);
    const dataOf = (args: string[]) => lines(cli(args, enforced).stdout).map((event) => event['data']);
    expect(dataOf(['read', 'order-1'])).toEqual([{ orderId: 'o-1', amount: 5, currency: 'EUR' }]);
    expect(dataOf(['read', 'order-1', '--raw'])).toEqual([{ orderId: 'o-1', amount: 5 }]);
    expect(dataOf(['read-all', '--category', 'order'])).toEqual([{ orderId: 'o-1', amount: 5, currency: 'EUR' }]);
    expect(dataOf(['read-all', '--category', 'order', '--raw'])).toEqual([{ orderId: 'o-1', amount: 5 }]);
    expect(dataOf(['tail', '--all', '--category', 'order', '--after', '0', '--no-follow'])).toEqual([{ orderId: 'o-1', amount: 5, currency: 'EUR' }]);
    expect(dataOf(['tail', 'order-1', '--after', '0', '--no-follow', '--raw'])).toEqual([{ orderId: 'o-1', amount: 5 }]);
  });
});

describe('tributary schema against a server (--url)', () => {
  let store: SqliteEventStore;
  let app: FastifyInstance;
  let url: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    store = openSqliteStore({ path: join(folder, 'server.db') });
    for (const scope of ['write:order', 'write:payment']) {
      const minted = mintToken(scope, [scope]);
      await store.tokens.create(minted.record);
      tokens[scope] = minted.token;
    }
    app = await buildServer({ store, open: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const as = (scope: string, args: string[], input = '') => cliAsync([...args, '--url', url, '--token', tokens[scope]!], input);

  it('adds, lists, shows, sets modes, compatibility and upcasters through the server, under the token’s scopes; enforce refuses a bad batch', async () => {
    expect(await as('write:order', ['schema', 'add', 'OrderPlaced', v1, '--category', 'order'])).toMatchObject({ code: 0, stdout: 'OrderPlaced: registered version 1\n' });
    expect((await as('write:order', ['schema', 'add', 'OrderPlaced', v1])).stdout).toBe('OrderPlaced: unchanged, the schema equals version 1\n');
    expect((await as('write:order', ['schema', 'add', 'OrderPlaced', breaking])).stderr).toMatch(/^tributary: SCHEMA_INCOMPATIBLE: /);
    expect((await as('write:order', ['schema', 'add', 'OrderPlaced', v2])).stdout).toBe('OrderPlaced: registered version 2\n');
    expect((await as('write:order', ['schema', 'upcast', 'OrderPlaced', '1', rules])).code).toBe(0);
    expect((await as('write:order', ['schema', 'compat', 'OrderPlaced', 'FULL'])).stdout).toBe('OrderPlaced: FULL\n');
    expect((await as('write:order', ['schema', 'mode', 'order', 'enforce'])).stdout).toBe('order: enforce\n');
    expect((await as('write:order', ['schema', 'list'])).stdout).toBe('OrderPlaced\tv2\tFULL\torder\t1->2\n');
    expect((await as('write:order', ['schema', 'mode'])).stdout).toBe('order\tenforce\n');
    expect(JSON.parse((await as('write:order', ['schema', 'show', 'OrderPlaced', '--version', '2'])).stdout)).toEqual(placedV2);
    expect((await as('write:order', ['schema', 'mode', 'order', 'strict'])).stderr).toMatch(/^tributary: INVALID_SCHEMA: /);
    expect((await as('write:order', ['schema', 'compat', 'OrderPlaced', 'SIDEWAYS'])).stderr).toMatch(/^tributary: INVALID_SCHEMA: /);

    // another team sees nothing and changes nothing
    expect((await as('write:payment', ['schema', 'list'])).stdout).toBe('');
    expect((await as('write:payment', ['schema', 'mode'])).stdout).toBe('');
    for (const args of [['schema', 'show', 'OrderPlaced'], ['schema', 'mode', 'order', 'off'], ['schema', 'compat', 'OrderPlaced', 'NONE'], ['schema', 'upcast', 'OrderPlaced', '1', rules]]) {
      const result = await as('write:payment', args);
      expect([args.join(' '), result.code, result.stderr.split(':')[1]?.trim()]).toEqual([args.join(' '), 1, 'FORBIDDEN']);
    }

    const refused = await as('write:order', ['append', 'order-1'], batch);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^tributary: SCHEMA_VALIDATION_FAILED: .*"index":1,.*"path":"\/data\/amount"/);
    expect((await store.readAll()).events.filter((event) => !event.stream.startsWith('$'))).toEqual([]);

    // named as version 1, so that reading it upcasts it to version 2
    const first = '{"type":"OrderPlaced","data":{"orderId":"o-1","amount":5},"metadata":{"schemaVersion":1}}';
    expect((await as('write:order', ['append', 'order-1'], first)).code).toBe(0);
    const dataOf = async (args: string[]) => lines((await as('write:order', args)).stdout).map((event) => event['data']);
    // stored as version 1, read as version 2 through the stored rules
    expect(await dataOf(['read', 'order-1'])).toEqual([{ orderId: 'o-1', amount: 5, currency: 'EUR' }]);
    expect(await dataOf(['read', 'order-1', '--raw'])).toEqual([{ orderId: 'o-1', amount: 5 }]);
    expect(await dataOf(['read-all', '--raw'])).toEqual([{ orderId: 'o-1', amount: 5 }]);
    expect(await dataOf(['tail', 'order-1', '--after', '0', '--no-follow', '--raw'])).toEqual([{ orderId: 'o-1', amount: 5 }]);
  });
});
