import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventData } from '../../src/core/event.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let databases = 0;

function cli(args: string[], options: { input?: string; db?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    cwd: folder,
    env: { ...process.env, TRIBUTARY_DB: options.db ?? '', ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function freshDb(): string {
  return join(folder, `cli-${databases++}.db`);
}

function lines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('tributary CLI', () => {
  it('appends NDJSON from stdin as one batch and prints the result as JSON', () => {
    const db = freshDb();
    const input = [
      '{"type":"AccountOpened","data":{"owner":"Damon Allison","balance":500}}',
      '',
      '{"type":"Withdrawn","data":{"amount":100},"metadata":{"correlationId":"c-1"}}',
      '{"type":"Deposited","data":{"amount":800},"id":"3f2b8c1e-9d4a-4e6b-a7c5-1b2d3e4f5a6b"}',
    ].join('\n');
    const result = cli(['append', 'account-12345', '--db', db, '--expected-revision', 'no_stream'], { input });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const appended = JSON.parse(result.stdout) as { nextExpectedRevision: number; position: number; events: { id: string }[] };
    expect(appended).toMatchObject({ stream: 'account-12345', nextExpectedRevision: 2, position: 3 });
    expect(appended.events[2]!.id).toBe('3f2b8c1e-9d4a-4e6b-a7c5-1b2d3e4f5a6b');

    const read = cli(['read', 'account-12345', '--db', db]);
    expect(read.code).toBe(0);
    const events = lines(read.stdout);
    expect(events.map((e) => e['type'])).toEqual(['AccountOpened', 'Withdrawn', 'Deposited']);
    expect(events[1]).toMatchObject({ stream: 'account-12345', revision: 1, position: 2, data: { amount: 100 }, metadata: { correlationId: 'c-1' } });
    expect(Object.keys(events[0]!).sort()).toEqual(['data', 'id', 'metadata', 'position', 'recordedAt', 'revision', 'stream', 'tags', 'type']);
  });

  it('appends tags given on NDJSON lines or with --tag, and reads the log by every --tag given, never splitting one at a comma', () => {
    const db = freshDb();
    const input = '{"type":"Booked","data":{},"tags":["room:1","day:mon"]}\n{"type":"Booked","data":{},"tags":["room:2"]}\n';
    expect(cli(['append', 'room-1', '--db', db], { input }).code).toBe(0);
    expect(cli(['append', 'guest-1', '--db', db, '--type', 'Arrived', '--data', '{}', '--tag', 'day:mon', '--tag', 'a,b']).code).toBe(0);
    const positions = (args: string[]) => lines(cli(['read-all', '--db', db, ...args]).stdout).map((event) => event['position']);
    expect(positions(['--tag', 'day:mon'])).toEqual([1, 3]);
    expect(positions(['--tag', 'day:mon', '--tag', 'room:1'])).toEqual([1]);
    expect(positions(['--tag', 'a,b'])).toEqual([3]);
    expect(positions(['--tag', 'a'])).toEqual([]);
    expect(lines(cli(['read', 'guest-1', '--db', db]).stdout)[0]).toMatchObject({ tags: ['day:mon', 'a,b'] });
    expect(cli(['read-all', '--db', db, '--tag', '']).stderr).toMatch(/^tributary: INVALID_TAG/);
    expect(cli(['append', 'room-1', '--db', db, '--type', 'Booked', '--data', '{}', '--tag', 'x', '--tag', 'x']).stderr).toMatch(/^tributary: INVALID_TAG/);
    expect(cli(['append', 'room-1', '--db', db, '--tag', 'x'], { input }).stderr).toMatch(/^tributary: INVALID_ARGUMENT: --tag needs --type/);
    const booked = JSON.stringify({ failIfEventsMatch: [{ types: ['Booked'], tags: ['room:2'] }], after: 1 });
    const refused = cli(['append', 'room-2', '--db', db, '--type', 'Booked', '--data', '{}', '--tag', 'room:2', '--condition', booked]);
    expect(refused.stderr).toMatch(/^tributary: APPEND_CONDITION_FAILED: .*"positions":\[2\]/);
    const later = JSON.stringify({ failIfEventsMatch: [{ types: ['Booked'], tags: ['room:2'] }], after: 2 });
    expect(cli(['append', 'room-2', '--db', db, '--type', 'Booked', '--data', '{}', '--condition', later]).code).toBe(0);
  });

  it('appends NDJSON {"stream","event"} lines to several streams at once, grouped per stream, and prints each stream’s result', () => {
    const db = freshDb();
    cli(['append', 'account-1', '--db', db, '--type', 'Opened', '--data', '{}']);
    const input = [
      '{"stream":"account-1","event":{"type":"Debited","data":{"amount":5},"tags":["transfer:1"]}}',
      '{"stream":"account-2","event":{"type":"Credited","data":{"amount":5},"tags":["transfer:1"]}}',
      '',
      '{"stream":"account-1","event":{"type":"Noted","data":{}}}',
    ].join('\n');
    const result = cli(['append-many', '--db', db], { input });
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toMatchObject([
      { stream: 'account-1', nextExpectedRevision: 2, position: 3, events: [{ position: 2 }, { position: 3 }] },
      { stream: 'account-2', nextExpectedRevision: 0, position: 4 },
    ]);
    const again = JSON.parse(cli(['append-many', '--db', db, '--json'], { input: '{"stream":"account-3","event":{"type":"Opened","data":{}}}' }).stdout) as unknown;
    expect(again).toMatchObject({ position: 5, streams: [{ stream: 'account-3', position: 5 }] });

    const claim = JSON.stringify({ failIfEventsMatch: [{ tags: ['transfer:1'] }], after: 1 });
    const failed = cli(['append-many', '--db', db, '--condition', claim], { input });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^tributary: APPEND_CONDITION_FAILED: .*"positions":\[2,4\]/);
    const passed = cli(['append-many', '--db', db, '--condition', JSON.stringify({ failIfEventsMatch: [{ tags: ['transfer:1'] }], after: 4 })], { input });
    expect(passed.code).toBe(0);
    expect(cli(['read-all', '--db', db, '--after', '5']).stdout.trim().split('\n')).toHaveLength(3);
  });

  it('appends the {"appends","condition"?} of a --file, and refuses bad lines, files and calls with coded errors, writing nothing', () => {
    const db = freshDb();
    const file = join(folder, 'transfer.json');
    const call = {
      appends: [
        { stream: 'account-1', expectedRevision: 'no_stream', events: [{ type: 'Debited', data: { amount: 5 } }] },
        { stream: 'account-2', expectedRevision: 'no_stream', events: [{ type: 'Credited', data: { amount: 5 } }] },
      ],
    };
    writeFileSync(file, JSON.stringify(call));
    const result = cli(['append-many', '--db', db, '--file', file, '--json']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ position: 2, streams: [{ stream: 'account-1' }, { stream: 'account-2' }] });
    expect(cli(['append-many', '--db', db, '--file', file]).stderr).toMatch(/^tributary: WRONG_EXPECTED_REVISION/);

    const refused = (args: string[], input = '') => cli(['append-many', '--db', db, ...args], { input }).stderr;
    const line = (text: string) => `{"stream":"account-9","event":{"type":"A","data":{}}}\n${text}\n`;
    expect(refused([], line('{"stream":"account-9","event":'))).toMatch(/^tributary: INVALID_NDJSON: line 2: not JSON/);
    expect(refused([], line('[1]'))).toMatch(/^tributary: INVALID_NDJSON: line 2: must be a JSON object/);
    expect(refused([], line('{"stream":"account-9"}'))).toMatch(/^tributary: INVALID_NDJSON: line 2: must have "stream" and "event"/);
    expect(refused([], line('{"stream":"account-9","event":{},"expectedRevision":1}'))).toMatch(/^tributary: INVALID_NDJSON: line 2: has an unknown field/);
    expect(refused([], line('{"stream":"-x","event":{"type":"A","data":{}}}'))).toMatch(/^tributary: INVALID_STREAM_NAME: line 2/);
    const badEvent = refused([], line('{"stream":"account-9","event":{"type":"A"}}'));
    expect(badEvent).toMatch(/^tributary: INVALID_EVENT: line 2: data is required/);
    expect(badEvent).toContain('"line":2');
    expect(refused([], line('{"stream":"account-9","event":{"type":"A","data":{},"tags":[""]}}'))).toMatch(/^tributary: INVALID_TAG: line 2/);
    expect(refused([], '\n')).toMatch(/^tributary: INVALID_APPENDS/);
    expect(refused(['--condition', '{"failIfEventsMatch":[]}'], line(''))).toMatch(/^tributary: INVALID_QUERY/);
    expect(refused(['--condition', '{nope'], line(''))).toMatch(/^tributary: INVALID_ARGUMENT: --condition must be JSON/);
    writeFileSync(file, JSON.stringify({ appends: [] }));
    expect(refused(['--file', file])).toMatch(/^tributary: INVALID_APPENDS/);
    writeFileSync(file, JSON.stringify({ ...call, condition: { failIfEventsMatch: [{ types: ['A'] }] } }));
    expect(refused(['--file', file, '--condition', '{"failIfEventsMatch":[{"types":["A"]}]}'])).toMatch(/^tributary: INVALID_ARGUMENT: --condition is given/);
    writeFileSync(file, JSON.stringify({ ...call, extra: 1 }));
    expect(refused(['--file', file])).toMatch(/^tributary: INVALID_ARGUMENT: --file has an unknown field "extra"/);
    writeFileSync(file, '[');
    expect(refused(['--file', file])).toMatch(/^tributary: INVALID_ARGUMENT: --file must be JSON/);
    expect(refused(['--file', join(folder, 'missing.json')])).toMatch(/^tributary: INVALID_ARGUMENT: --file cannot be read/);
    expect(lines(cli(['read-all', '--db', db]).stdout)).toHaveLength(2);
  });

  it('appends one event from flags, and uses TRIBUTARY_DB', () => {
    const db = freshDb();
    const result = cli(['append', 'order-1', '--type', 'Placed', '--data', '{"total":42}', '--metadata', '{"causationId":"x"}'], { db });
    expect(result.code).toBe(0);
    expect(lines(cli(['read', 'order-1'], { db }).stdout)[0]).toMatchObject({ type: 'Placed', data: { total: 42 }, metadata: { causationId: 'x' } });
  });

  it('reports WRONG_EXPECTED_REVISION on one stderr line with expected and actual, and exits non-zero', () => {
    const db = freshDb();
    cli(['append', 'account-1', '--type', 'Opened', '--data', '{}'], { db });
    const result = cli(['append', 'account-1', '--type', 'Deposited', '--data', '{}', '--expected-revision', '5'], { db });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^tributary: WRONG_EXPECTED_REVISION: .*"expected":5.*"actual":0/);
  });

  it('refuses a bad NDJSON line by number and writes nothing of the batch', () => {
    const db = freshDb();
    const input = '{"type":"A","data":{}}\n{"type":"B","data":{}}\n{"type":"C","data":\n{"type":"D","data":{}}\n';
    const result = cli(['append', 'account-1'], { db, input });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tributary: INVALID_NDJSON: line 3: /);
    expect(result.stderr).toContain('"line":3');
    const missingData = cli(['append', 'account-1'], { db, input: '{"type":"A","data":{}}\n{"type":"B"}\n' });
    expect(missingData.stderr).toMatch(/INVALID_EVENT: line 2: data is required/);
    expect(missingData.stderr).toContain('"line":2');
    const unknownField = cli(['append', 'account-1'], { db, input: '{"type":"A","data":{},"dta":1}\n' });
    expect(unknownField.stderr).toMatch(/INVALID_EVENT: line 1: unknown field "dta"/);
    expect(cli(['append', 'account-1'], { db, input: '[1]\n' }).stderr).toMatch(/^tributary: INVALID_NDJSON: line 1: must be a JSON object/);
    // every batch was refused before the store was opened: not even the database file was made
    expect(existsSync(db)).toBe(false);
    expect(cli(['read', 'account-1'], { db }).stderr).toMatch(/^tributary: DATABASE_NOT_FOUND/);
  });

  it('answers bad flags and names with coded errors', () => {
    const db = freshDb();
    expect(cli(['append', 'account-1', '--type', 'A', '--data', '{nope'], { db }).stderr).toMatch(/^tributary: INVALID_ARGUMENT: --data must be JSON/);
    expect(cli(['append', 'account-1', '--type', 'A', '--data', '{}', '--expected-revision', 'latest'], { db }).stderr).toMatch(
      /^tributary: INVALID_EXPECTED_REVISION/,
    );
    expect(cli(['append', '-x', '--type', 'A', '--data', '{}'], { db }).stderr).toMatch(/^tributary: INVALID_ARGUMENT/);
    expect(cli(['append', 'bad\tname', '--type', 'A', '--data', '{}'], { db }).stderr).toMatch(/^tributary: INVALID_STREAM_NAME/);
    expect(cli(['read', 'account-1', '--limit', 'ten'], { db }).stderr).toMatch(/^tributary: INVALID_ARGUMENT: --limit/);
    const unknown = cli(['frobnicate'], { db });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^tributary: INVALID_ARGUMENT: command "frobnicate" is unknown/);
    expect(cli(['read', 'account-1', '--wat'], { db }).code).toBe(2);
    expect(cli(['read', 'account-1', '--db', 'postgres://u:secret@localhost/x']).stderr).not.toContain('secret');
    expect(cli(['read', 'account-1', '--db', 'mysql://localhost/x']).stderr).toMatch(/^tributary: UNSUPPORTED_DATABASE/);
  });

  it('reads a stream from a revision, backward, limited, or as one JSON document', () => {
    const db = freshDb();
    const input = Array.from({ length: 5 }, (_, i) => JSON.stringify({ type: 'E', data: { i } })).join('\n');
    cli(['append', 'account-1'], { db, input });
    const revisions = (args: string[]) => lines(cli(['read', 'account-1', ...args], { db }).stdout).map((e) => e['revision']);
    expect(revisions([])).toEqual([0, 1, 2, 3, 4]);
    expect(revisions(['--from', '2', '--limit', '2'])).toEqual([2, 3]);
    expect(revisions(['--backward', '--limit', '3'])).toEqual([4, 3, 2]);
    const document = JSON.parse(cli(['read', 'account-1', '--limit', '2', '--json'], { db }).stdout) as { events: unknown[]; next: number };
    expect(document.events).toHaveLength(2);
    expect(document.next).toBe(2);
    expect(JSON.parse(cli(['read', 'account-1', '--json'], { db }).stdout)).toMatchObject({ next: null });
  });

  it('reads the global log after a position, by category and type', () => {
    const db = freshDb();
    cli(['append', 'account-1', '--type', 'Opened', '--data', '{}'], { db });
    cli(['append', 'order-1', '--type', 'Placed', '--data', '{}'], { db });
    cli(['append', 'account-2', '--type', 'Opened', '--data', '{}'], { db });
    cli(['append', 'account-2', '--type', 'Deposited', '--data', '{}'], { db });
    const streams = (args: string[]) => lines(cli(['read-all', ...args], { db }).stdout).map((e) => `${String(e['stream'])}@${String(e['position'])}`);
    expect(streams([])).toEqual(['account-1@1', 'order-1@2', 'account-2@3', 'account-2@4']);
    expect(streams(['--after', '2'])).toEqual(['account-2@3', 'account-2@4']);
    expect(streams(['--category', 'account', '--type', 'Opened'])).toEqual(['account-1@1', 'account-2@3']);
    expect(streams(['--category', 'order', '--category', 'account', '--limit', '2'])).toEqual(['account-1@1', 'order-1@2']);
    expect(JSON.parse(cli(['read-all', '--limit', '1', '--json'], { db }).stdout)).toMatchObject({ next: 1 });
  });

  it('lists streams with their last revision, and categories, as text or JSON', () => {
    const db = freshDb();
    cli(['append', 'order-1', '--type', 'Placed', '--data', '{}'], { db });
    cli(['append', 'account-1', '--type', 'Opened', '--data', '{}'], { db });
    cli(['append', 'account-1', '--type', 'Deposited', '--data', '{}'], { db });
    expect(cli(['streams'], { db }).stdout).toBe('account-1\t1\norder-1\t0\n');
    expect(JSON.parse(cli(['streams', '--json', '--category', 'account'], { db }).stdout)).toEqual([
      { stream: 'account-1', category: 'account', lastRevision: 1, lastPosition: 3, deleted: false },
    ]);
    expect(JSON.parse(cli(['categories', '--json'], { db }).stdout)).toEqual([
      { category: 'account', streams: 1 },
      { category: 'order', streams: 1 },
    ]);
  });

  it('creates the default ./data/tributary.db when no database is named', () => {
    const cwd = mkdtempSync(join(folder, 'default-'));
    const run = (args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env: { ...process.env, TRIBUTARY_DB: '' } });
    expect(run(['append', 'account-1', '--type', 'Opened', '--data', '{}']).status).toBe(0);
    expect(lines(run(['read', 'account-1']).stdout)).toHaveLength(1);
    expect(spawnSync('ls', [join(cwd, 'data')], { encoding: 'utf8' }).stdout).toContain('tributary.db');
  });

  it('prints help', () => {
    expect(cli(['--help']).stdout).toContain('read-all');
    expect(cli(['append', '--help']).stdout).toContain('--expected-revision');
  });

  it('refuses every event the library refuses, with the library code, and stores nothing', async () => {
    const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
    const bad: unknown[] = [
      { type: 12345, data: {} },
      { type: true, data: {} },
      { type: null, data: {} },
      { type: 'A\ud800', data: {} },
      { type: 'A\u0000', data: {} },
      { type: 'A', data: {}, metadata: { 'k\u0000': 1 } },
      { type: 'A', data: {}, metadata: { '\udfff': 1 } },
      { type: 'A', data: {}, metadata: 'note' },
      { type: 'A', data: nested(65) },
      { type: 'A', data: {}, metadata: { deep: nested(64) } },
      { type: 'A', data: {}, id: 7 },
    ];
    const library = openSqliteStore({ path: join(folder, `library-${databases++}.db`) });
    const db = freshDb();
    try {
      for (const event of bad) {
        const libraryCode = await library.append('account-1', [event as EventData]).then(
          () => 'accepted',
          (error: { code: string }) => error.code,
        );
        expect(libraryCode, JSON.stringify(event)).toBe('INVALID_EVENT');
        const result = cli(['append', 'account-1'], { db, input: `{"type":"A","data":{}}\n${JSON.stringify(event)}\n` });
        expect([JSON.stringify(event), result.code, result.stderr.split(':')[1]?.trim()]).toEqual([JSON.stringify(event), 1, libraryCode]);
        expect(result.stderr).toContain('"line":2');
      }
      expect(cli(['append', 'account-1'], { db, input: JSON.stringify({ type: 'A', data: nested(63) }) }).code).toBe(0);
      const tooDeep = cli(['append', 'account-1'], { db, input: `{"type":"A","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}` });
      expect(tooDeep.stderr).toMatch(/^tributary: INVALID_EVENT: line 1: data nests objects and arrays more than 64 deep/);
      for (const stream of ['order-1\u202e', 'order\u200b-1', '\ufefforder-1']) {
        expect(cli(['append', stream, '--type', 'A', '--data', '{}'], { db }).stderr).toMatch(/^tributary: INVALID_STREAM_NAME: .*invisible format/);
      }
      expect(cli(['read', 'order-1\u202e'], { db }).stderr).toMatch(/^tributary: INVALID_STREAM_NAME/);
      for (const expected of ['0x1', '-1']) {
        const result = cli(['append', 'account-1', '--type', 'A', '--data', '{}', `--expected-revision=${expected}`], { db });
        expect([expected, result.stderr.split(':')[1]?.trim()]).toEqual([expected, 'INVALID_EXPECTED_REVISION']);
      }
      expect(lines(cli(['read-all'], { db }).stdout)).toHaveLength(1);
      expect(await library.headPosition()).toBe(0);
    } finally {
      await library.close();
    }
  });

  it('creates tokens only with scopes of the strict grammar', () => {
    const db = freshDb();
    for (const scope of ['write:payment:readonly', 'read:', 'read:a-b', 'READ:x', 'admin:x', 'read:a,b', 'read:$tokens']) {
      const result = cli(['tokens', 'create', '--name', 'bad', '--scope', 'read:*', '--scope', scope], { db });
      expect([scope, result.code, result.stderr.split(':')[1]?.trim()]).toEqual([scope, 2, 'INVALID_ARGUMENT']);
    }
    expect(cli(['tokens', 'list'], { db }).stdout).toBe('');
    const created = cli(['tokens', 'create', '--name', 'good', '--scope', 'admin', '--scope', 'read:*', '--scope', 'write:order', '--scope', 'read:注文', '--json'], { db });
    expect(created.code).toBe(0);
    expect((JSON.parse(created.stdout) as { scopes: string[] }).scopes).toEqual(['admin', 'read:*', 'write:order', 'read:注文']);
  });
});
