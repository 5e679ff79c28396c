import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-schema-'));
const db = join(folder, 'registry.db');
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let directories = 0;

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', cwd: folder, env: { ...process.env, TRIBUTARY_DB: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function schemaDirectory(files: Record<string, unknown>): string {
  const directory = join(folder, `schemas-${directories++}`);
  mkdirSync(directory);
  for (const [name, schema] of Object.entries(files)) writeFileSync(join(directory, name), JSON.stringify(schema));
  return directory;
}

const ORDER_PLACED = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };
const ORDER_CANCELLED = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' }, reason: { type: 'string' } } };

/** What the registry holds, to show a check registered nothing. */
async function registered(): Promise<unknown> {
  const store = await openStore(db, { create: false });
  try {
    const types = await store.schemas!.list();
    return await Promise.all(types.map((type) => store.schemas!.describe(type.type)));
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  const store = await openStore(db);
  try {
    await store.schemas!.register('OrderPlaced', ORDER_PLACED, { categories: ['order'] });
    await store.schemas!.register('order.cancelled', ORDER_CANCELLED, { categories: ['order'] });
  } finally {
    await store.close();
  }
});

describe('tributary schema check', () => {
  it('reports a compatible and an incompatible schema, exits 1, and registers nothing', async () => {
    const before = await registered();
    const dir = schemaDirectory({
      // BACKWARD: a field no longer required still reads every old event
      'OrderPlaced.json': { ...ORDER_PLACED, required: [] },
      // a new required field does not: old events lack it
      'order.cancelled.json': { ...ORDER_CANCELLED, required: ['orderId', 'reason', 'refund'], properties: { ...ORDER_CANCELLED.properties, refund: { type: 'number' } } },
    });
    const result = cli(['schema', 'check', dir]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('OrderPlaced: compatible (BACKWARD, checked against 1): would register as version 2');
    expect(lines[1]).toMatch(/^order\.cancelled: incompatible \(BACKWARD, checked against 1\), \d+ breaks?:$/);
    expect(lines.slice(2).join('\n')).toMatch(/^ {2}against version 1, backward: .*refund/m);
    expect(result.stderr).toMatch(/^tributary: SCHEMA_INCOMPATIBLE: 1 incompatible \(order\.cancelled\) of 2 proposed schemas; nothing was registered/);
    expect(await registered()).toEqual(before);
  });

  it('exits 0 when every schema is compatible, and prints JSON with --json', () => {
    const dir = schemaDirectory({ 'OrderPlaced.json': ORDER_PLACED, 'order.cancelled.json': { ...ORDER_CANCELLED, required: ['orderId'] } });
    const result = cli(['schema', 'check', dir, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { compatible: boolean; results: { type: string; compatible: boolean; file: string }[] };
    expect(report.compatible).toBe(true);
    expect(report.results.map(({ type, compatible, file }) => ({ type, compatible, file }))).toEqual([
      { type: 'OrderPlaced', compatible: true, file: 'OrderPlaced.json' },
      { type: 'order.cancelled', compatible: true, file: 'order.cancelled.json' },
    ]);
  });

  it('reports a file that is not JSON as INVALID_SCHEMA naming it, and exits 1', () => {
    const dir = schemaDirectory({ 'OrderPlaced.json': ORDER_PLACED });
    writeFileSync(join(dir, 'Refund.json'), '{"type": ');
    const result = cli(['schema', 'check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Refund: invalid: Refund\.json is not JSON: /m);
    expect(result.stderr).toMatch(/^tributary: INVALID_SCHEMA: 1 invalid \(Refund\) of 2 proposed schemas/);
  });
});

describe('tributary schema types', () => {
  it('writes the registered types to --out', () => {
    const out = join(folder, 'events.generated.ts');
    const result = cli(['schema', 'types', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const types = readFileSync(out, 'utf8');
    expect(types).toContain('export interface OrderPlacedV1 {\n  orderId: string;\n}');
    expect(types).toContain('"order.cancelled": OrderCancelledV1;');
  });
});
