import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaCheck } from '../../src/cli/commands/schema-check.js';
import { schemaTypes } from '../../src/cli/commands/schema-types.js';
import type { CommandContext } from '../../src/cli/context.js';
import { TributaryError, isTributaryError } from '../../src/core/errors.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { CompatibilityReport, JsonSchema, SchemaRegistry, SchemaVersion } from '../../src/store/schema-registry.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-schema-commands-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let directories = 0;

const ORDER_PLACED: SchemaVersion = {
  type: 'order.placed',
  version: 1,
  schema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } },
  registeredAt: '2026-12-04T18:00:00.000Z',
  position: 7,
};

/**
 * The registry's contract as far as these commands use it: one registered
 * type, and a check that refuses a schema without `orderId` and calls a
 * schema with `$ref` to the web invalid. Anything that would register throws.
 */
function fakeRegistry(checked: string[]): SchemaRegistry {
  const refuse = () => {
    throw new Error('a check must register nothing');
  };
  return {
    list: async () => [{ type: ORDER_PLACED.type, latest: 1, compatibility: 'BACKWARD', categories: ['order'], upcasters: [] }],
    describe: async (type) => ({ type, latest: 1, compatibility: 'BACKWARD', categories: ['order'], upcasters: [], versions: [ORDER_PLACED], rules: [] }),
    check: async (type: string, schema: JsonSchema): Promise<CompatibilityReport> => {
      checked.push(type);
      const text = JSON.stringify(schema);
      if (text.includes('https://')) throw new TributaryError('INVALID_SCHEMA', '$ref "https://x" is outside the registry', { ref: 'https://x' });
      const compatible = text.includes('orderId');
      const breaks = compatible ? [] : [{ version: 1, direction: 'backward' as const, path: '/orderId', change: 'field-removed' as const, message: 'field /orderId removed' }];
      return { type, compatible, compatibility: 'BACKWARD', version: 2, checkedAgainst: [1], breaks };
    },
    register: refuse,
    version: refuse,
    setCompatibility: refuse,
    setMode: refuse,
    modes: refuse,
    addUpcaster: refuse,
    upcaster: refuse,
    onWarning: refuse,
  };
}

function context(values: CommandContext['values'] = {}) {
  const checked: string[] = [];
  let closed = 0;
  const store = { location: '/srv/orders.db', schemas: fakeRegistry(checked), close: async () => void closed++ } as unknown as EventStore;
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const opened: ({ create?: boolean } | undefined)[] = [];
  const command: CommandContext = {
    positionals: [],
    values,
    openStore: async (options) => {
      opened.push(options);
      return store;
    },
    openLocation: () => Promise.reject(new Error('not used')),
    stdin: new PassThrough(),
    stdout,
    signal: new AbortController().signal,
  };
  return { command, checked, opened, printed: () => printed, closed: () => closed };
}

function schemaDirectory(files: Record<string, string>): string {
  const directory = join(folder, `schemas-${directories++}`);
  mkdirSync(directory);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

describe('tributary schema check', () => {
  it('reports each type, exits 1 through SCHEMA_INCOMPATIBLE when one breaks, and registers nothing', async () => {
    const dir = schemaDirectory({
      'order.placed.json': JSON.stringify({ type: 'object', properties: { orderId: { type: 'string' } } }),
      'order%2Fshipped.json': JSON.stringify({ type: 'object', properties: { carrier: { type: 'string' } } }),
      'README.md': 'not a schema',
    });
    const run = context();
    const error = await schemaCheck(run.command, [dir]).catch((caught: unknown) => caught);
    expect(isTributaryError(error, 'SCHEMA_INCOMPATIBLE')).toBe(true);
    expect((error as TributaryError).details).toEqual({ incompatible: ['order/shipped'], invalid: [] });
    expect(run.printed()).toBe(
      'order.placed: compatible (BACKWARD, checked against 1): would register as version 2\n' +
        'order/shipped: incompatible (BACKWARD, checked against 1), 1 break:\n' +
        '  against version 1, backward: field /orderId removed\n',
    );
    expect(run.checked).toEqual(['order.placed', 'order/shipped']);
    expect(run.opened).toEqual([{ create: false }]);
    expect(run.closed()).toBe(1);
  });

  it('passes when every schema is compatible, and prints the reports as JSON with --json', async () => {
    const dir = schemaDirectory({ 'order.placed.json': JSON.stringify({ type: 'object', required: ['orderId'] }) });
    const run = context({ json: true });
    await schemaCheck(run.command, [dir]);
    const printed = JSON.parse(run.printed()) as { compatible: boolean; results: Record<string, unknown>[] };
    expect(printed).toEqual({
      compatible: true,
      results: [{ file: 'order.placed.json', valid: true, type: 'order.placed', compatible: true, compatibility: 'BACKWARD', version: 2, checkedAgainst: [1], breaks: [] }],
    });
  });

  it('reports a file that is not JSON and a schema the registry calls invalid as INVALID_SCHEMA naming the file, and still checks the rest', async () => {
    const dir = schemaDirectory({
      'Broken.json': '{"type": "object",',
      'Remote.json': JSON.stringify({ $ref: 'https://x' }),
      'order.placed.json': JSON.stringify({ required: ['orderId'] }),
    });
    const run = context({ json: true });
    const error = await schemaCheck(run.command, [dir]).catch((caught: unknown) => caught);
    expect(isTributaryError(error, 'INVALID_SCHEMA')).toBe(true);
    expect((error as TributaryError).message).toBe('2 invalid (Broken, Remote) of 3 proposed schemas; nothing was registered');
    const { results } = JSON.parse(run.printed()) as { results: { type: string; valid: boolean; error?: { code: string; message: string } }[] };
    expect(results.map((result) => [result.type, result.valid, result.error?.code])).toEqual([
      ['Broken', false, 'INVALID_SCHEMA'],
      ['Remote', false, 'INVALID_SCHEMA'],
      ['order.placed', true, undefined],
    ]);
    expect(results[0]!.error!.message).toMatch(/^Broken\.json is not JSON: /);
    expect(results[1]!.error!.message).toBe('Remote.json: $ref "https://x" is outside the registry');
    expect(run.checked).toEqual(['Remote', 'order.placed']);
  });

  it('refuses a missing or empty directory as a usage error', async () => {
    const missing = schemaCheck(context().command, [join(folder, 'nowhere')]);
    await expect(missing).rejects.toSatisfy((error) => isTributaryError(error, 'INVALID_ARGUMENT'));
    await expect(schemaCheck(context().command, [schemaDirectory({})])).rejects.toThrow(/found no <Type>\.json files/);
    await expect(schemaCheck(context().command, [])).rejects.toThrow(/takes one directory/);
  });
});

describe('tributary schema types', () => {
  it('prints the generated types, naming the store they came from', async () => {
    const run = context();
    await schemaTypes(run.command, []);
    expect(run.printed()).toContain('from the schema registry of /srv/orders.db, as of log position 7.');
    expect(run.printed()).toContain('export interface OrderPlacedV1 {\n  orderId: string;\n}');
    expect(run.printed()).toContain('"order.placed": OrderPlacedV1;');
    expect(run.closed()).toBe(1);
  });

  it('writes them whole to --out, replacing what was there and leaving no temporary file', async () => {
    const dir = schemaDirectory({ 'events.generated.ts': 'old' });
    const out = join(dir, 'events.generated.ts');
    const run = context({ out });
    await schemaTypes(run.command, []);
    expect(run.printed()).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('export type OrderPlaced = OrderPlacedV1;');
    expect(readdirSync(dir)).toEqual(['events.generated.ts']);
  });
});
