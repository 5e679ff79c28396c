import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/serve-process.js';

const ROOT = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
const scratch = mkdtempSync(join(tmpdir(), 'tributary-tarball-'));
const app = join(scratch, 'app');
let packed: string[] = [];
// as from a user's shell: under `npm test` npm hands its scripts its own settings (npm_config_local_prefix among them)
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, env, ...options });
  expect(result.status, `${command} ${args.join(' ')}\n${String(result.stdout)}\n${String(result.stderr)}`).toBe(0);
  return String(result.stdout);
}

beforeAll(() => {
  // no prepare script: the suite built dist before the tests, and a rebuild now would rewrite files other tests are running
  const [pack] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT })) as {
    filename: string;
    files: { path: string }[];
  }[];
  packed = pack!.files.map((file) => file.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  // every dependency installs from the tarball's package.json (from the npm cache the project's own install filled),
  // except better-sqlite3, linked from the project's node_modules: built once there, it needs no download or compiler here
  run(
    'npm',
    ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(scratch, pack!.filename), join(ROOT, 'node_modules/better-sqlite3')],
    { cwd: app },
  );
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the package as npm packs it, installed into an empty folder', () => {
  it('packs the built code with its types, and neither sources nor tests', () => {
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']));
    // forked by its path, not imported: nothing else here would notice it missing
    expect(packed.filter((path) => path.endsWith('/lake-worker.js'))).toHaveLength(1);
    expect(packed.filter((path) => !path.startsWith('dist/') && path !== 'package.json' && !/^(README\.md|LICENSE)$/.test(path))).toEqual([]);
  });

  it('imports from its entries, appends and reads; paths past the exports are refused', () => {
    writeFileSync(
      join(app, 'library.js'),
      `import { openStore, isTributaryError } from 'tributary';
import { openSqliteStore, SqliteEventStore } from 'tributary/sqlite';
import { openPostgresStore } from 'tributary/postgres';
import { lakeSink } from 'tributary/lake';
import { buildServer, tributaryPlugin } from 'tributary/server';
import { given } from 'tributary/testing';

const store = await openStore('./library.db');
await store.append('order-1', [{ type: 'Placed', data: { sku: 'abc' } }]);
await store.close();
const reopened = openSqliteStore({ path: './library.db', mustExist: true });
const { events } = await reopened.readStream('order-1');
const server = await buildServer({ store: reopened, open: true });
const health = (await server.inject({ url: '/health' })).json();
await server.close();
await reopened.close();
const deep = await import('tributary/dist/index.js').then(() => 'imported', (error) => error.code);
console.log(JSON.stringify({
  read: events.map((event) => [event.stream, event.type, event.data]),
  health,
  deep,
  kinds: [isTributaryError, SqliteEventStore, openPostgresStore, lakeSink, tributaryPlugin, given].map((value) => typeof value),
}));
`,
    );
    expect(JSON.parse(run(process.execPath, ['library.js'], { cwd: app }))).toEqual({
      read: [['order-1', 'Placed', { sku: 'abc' }]],
      health: { status: 'ready', head: 1 },
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      kinds: ['function', 'function', 'function', 'function', 'function', 'function'],
    });
  });

  it('type-checks an application importing every entry, under strict NodeNext resolution', () => {
    const entries = Object.keys(manifest.exports).filter((path) => path !== './package.json');
    const imports = entries.map((path, i) => `import * as entry${i} from '${path.replace(/^\./, 'tributary')}';\nconsole.log(entry${i});`);
    writeFileSync(
      join(app, 'typed.ts'),
      `${imports.join('\n')}
import { openStore, type EventStore } from 'tributary';
import type { SqliteEventStore } from 'tributary/sqlite';
import type { TributaryPluginOptions } from 'tributary/server';
const store: EventStore = await openStore('./typed.db');
const options: TributaryPluginOptions = { store, open: false };
export const sqlite: SqliteEventStore | undefined = undefined;
export { options };
`,
    );
    // the package's declarations name pg's and better-sqlite3's types: its dependencies install them
    const compilerOptions = { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', noEmit: true, typeRoots: [join(ROOT, 'node_modules/@types')], types: ['node'] };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.ts'] }));
    run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app });
  });

  it('npx tributary serve answers /health, and stops on SIGTERM', async () => {
    expect(run('npx', ['tributary', '--version'], { cwd: app }).trim()).toBe(manifest.version);
    const port = await freePort();
    // a process group of its own: npx passes SIGTERM on to the server but exits without waiting for it
    const child = spawn('npx', ['tributary', 'serve', '--port', String(port), '--db', './serve.db'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // both pipes close once every process holding them, the server included, has exited
    const ended = new Promise<void>((done) => child.once('close', () => done()));
    try {
      await new Promise<void>((done, fail) => {
        void ended.then(() => fail(new Error(`serve ended early: ${stderr}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          stdout.push(line);
          if (line.includes('Server listening at')) done();
        });
      });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ready', head: 0 }]);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    await ended;
    expect(stdout.some((line) => line.includes('stopping: no new requests'))).toBe(true);
    expect(stderr).toBe('');
  });
});
