// Start-up: how long a process takes to import the package's entries and to run one small CLI command, against
// a bare `node` started the same way, in turns. Needs `npm run build` first: it runs what users run, dist/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { table } from './lib/measure.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'cli', 'main.js');
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 9);

if (!existsSync(CLI)) {
  console.error('bench/startup.ts runs the built package: run `npm run build` first');
  process.exit(1);
}

const folder = mkdtempSync(join(tmpdir(), 'tributary-startup-'));
const database = join(folder, 'small.db');
execFileSync(process.execPath, [CLI, 'append', 'account-1', '--db', database, '--type', 'Opened', '--data', '{"owner":"ada"}'], { stdio: 'ignore' });

const importing = (entry: string) => ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(DIST, entry)).href)})`];

/** Each contender is one `node` command line; the first is the baseline every other is compared with. */
const contenders: [string, string[]][] = [
  ['bare node', ['-e', '0']],
  ['import tributary', importing('index.js')],
  ['import tributary/sqlite', importing('entry/sqlite.js')],
  ['import tributary/server', importing('entry/server.js')],
  ['tributary read (small SQLite file)', [CLI, 'read', 'account-1', '--db', database]],
  ['tributary --help', [CLI, '--help']],
];

function seconds(args: string[]): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const times = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, args] of contenders) times.get(name)!.push(seconds(args));
}
rmSync(folder, { recursive: true, force: true });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const bare = median(times.get('bare node')!);
console.log(`Start-up, median of ${ROUNDS} rounds taken in turns (wall time of the whole process)\n`);
console.log(
  table(
    ['what', 'ms', '× bare node', 'ms above bare node'],
    contenders.map(([name]) => {
      const ms = median(times.get(name)!);
      return [name, (ms * 1000).toFixed(0), `${(ms / bare).toFixed(2)}×`, ((ms - bare) * 1000).toFixed(0)];
    }),
  ),
);
