import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** What each top-level folder of src/ may import: dependencies point down the layers of DESIGN.md. */
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  store: ['store', 'core'],
  backends: ['backends', 'store', 'core'],
  subscriptions: ['subscriptions', 'store', 'core'],
  projections: ['projections', 'subscriptions', 'store', 'core'],
  command: ['command', 'store', 'core'],
  testing: ['testing', 'command', 'core'],
  server: ['server', 'projections', 'subscriptions', 'store', 'core'],
  cli: ['cli', 'server', 'projections', 'subscriptions', 'backends', 'store', 'core'],
};

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : [],
  );
}

it('dependencies point down the layers, and no backend is imported by name above the backends', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const layer = relative(SRC, file).split('/')[0]!;
    if (layer === 'index.ts') continue;
    const allowed = ALLOWED[layer];
    expect(allowed, `src/${layer} needs an entry in ALLOWED`).toBeDefined();
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const targetLayer = relative(SRC, resolve(file, '..', target!)).split('/')[0]!;
      if (!allowed!.includes(targetLayer)) violations.push(`${relative(SRC, file)} imports ${target}`);
    }
  }
  expect(violations).toEqual([]);
});

it('one backend never imports another backend', () => {
  const backends = readdirSync(join(SRC, 'backends'), { withFileTypes: true }).filter((e) => e.isDirectory());
  for (const backend of backends) {
    for (const file of sourceFiles(join(SRC, 'backends', backend.name))) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const path = relative(join(SRC, 'backends'), resolve(file, '..', target!));
        const other = backends.find((b) => b.name !== backend.name && path.startsWith(b.name + '/'));
        expect(other, `${relative(SRC, file)} imports ${target}`).toBeUndefined();
      }
    }
  }
});

it('no code above the backends asks for a backend by name: differences are on the SQL dialect', () => {
  const names = readdirSync(join(SRC, 'backends'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const literal = new RegExp(`(['"\`])(?:${names.join('|')})\\1`);
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (relative(SRC, file).startsWith('backends/')) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (literal.test(line)) violations.push(`src/${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(violations).toEqual([]);
});
