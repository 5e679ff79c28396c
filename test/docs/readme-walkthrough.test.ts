import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { codeBlocks } from '../support/markdown-blocks.js';
import { ROOT } from '../support/package-entries.js';

/**
 * A newcomer follows the README in one folder: the CLI example, then the
 * library snippet (twice, as people do), against the built package, which
 * `npm test` builds before the suites run. `npx tributary` is the built bin.
 */
const BIN = resolve(ROOT, 'dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-readme-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function newcomerEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['TRIBUTARY_DB'];
  return env;
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: folder, encoding: 'utf8', env: newcomerEnvironment(), timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

it("the README's library snippet works after its CLI example, in the same folder", async () => {
  expect(existsSync(BIN) && existsSync(resolve(ROOT, 'dist/index.js')), 'run `npm run build` first').toBe(true);
  const blocks = codeBlocks('README.md');
  const cliExample = blocks.find((block) => block.language === 'sh' && block.code.includes('npx tributary append'));
  const librarySnippet = blocks.find((block) => block.language === 'ts');
  expect(cliExample, 'the CLI example').toBeDefined();
  expect(librarySnippet, 'the library snippet').toBeDefined();
  expect(cliExample!.line).toBeLessThan(librarySnippet!.line);

  // the folder holds the package as an installed dependency, and tsx, as the clone does
  mkdirSync(join(folder, 'node_modules'));
  symlinkSync(ROOT, join(folder, 'node_modules/tributary'), 'dir');
  symlinkSync(resolve(ROOT, 'node_modules/tsx'), join(folder, 'node_modules/tsx'), 'dir');
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: 'module' }));

  const cli = run('sh', ['-c', cliExample!.code.replaceAll('npx tributary', `node ${JSON.stringify(BIN)}`)]);
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain('"type":"Deposited"');

  writeFileSync(join(folder, 'try.ts'), librarySnippet!.code);
  for (let time = 0; time < 2; time++) {
    const library = run(process.execPath, ['--import', 'tsx', 'try.ts']);
    expect(library.stderr).toBe('');
    expect(library.code).toBe(0);
    expect(library.stdout).toContain('Withdrawn');
  }

  const store = openSqliteStore({ path: join(folder, 'data/tributary.db'), mustExist: true });
  try {
    const { events } = await store.readStream('account-12345');
    expect(events.map((event) => [event.revision, event.type, event.data])).toEqual([
      [0, 'Deposited', { amount: 800 }],
      [1, 'Withdrawn', { amount: 100 }],
      [2, 'Withdrawn', { amount: 100 }],
    ]);
  } finally {
    await store.close();
  }
}, 120_000);
