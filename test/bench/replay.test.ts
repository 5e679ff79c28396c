import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// what the replay benchmark measures must be what it says: this checks that it runs and prints its figures, never its speed
it('npm run bench:replay runs its smallest form and prints both contenders, each run\'s ratio and the target', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../bench/replay.ts'), '--events', '1000', '--runs', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  expect(output).not.toMatch(/Error/);
  expect(code).toBe(0);
  const number = String.raw`[\d,]+`;
  expect(output).toMatch(new RegExp(String.raw`rebuild on the live store\s+${number}\n`));
  expect(output).toMatch(new RegExp(String.raw`replay into a scratch SQLite file\s+${number}\n`));
  expect(output).toMatch(/replay \/ rebuild: \d+\.\d\d×/);
  expect(output).toMatch(/replay \/ rebuild\s+\d+\.\d\d×\s+≥ 0\.80×\s+(met|missed)/);
}, 120_000);
