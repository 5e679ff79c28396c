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
  // exact copies of a store: mirrors and backups work on the copy contract, never on a backend
  mirror: ['mirror', 'store', 'core'],
  backup: ['backup', 'store', 'core'],
  // the registry, validation and upcasting: a store in front of any store
  schemas: ['schemas', 'store', 'core'],
  // crypto-shredding: personal fields encrypted per subject on append, decrypted on read, forgotten by deleting a key
  privacy: ['privacy', 'store', 'core'],
  // the event catalog: what the registry, the log and the consumers and projections say about each event type
  catalog: ['catalog', 'schemas', 'projections', 'subscriptions', 'store', 'core'],
  // time travel: replays into scratch stores, what-if branches, diffs between them
  // and corrections (reversals, redactions, the history of a record) and the replay-aware gateway
  time: ['time', 'privacy', 'projections', 'subscriptions', 'schemas', 'store', 'core'],
  // opening a store: a backend picked by its location, with the registry's door and the branches in front
  open: ['open', 'time', 'privacy', 'schemas', 'backends', 'store', 'core'],
  testing: ['testing', 'command', 'core'],
  server: ['server', 'time', 'privacy', 'catalog', 'schemas', 'projections', 'subscriptions', 'store', 'core'],
  cli: ['cli', 'server', 'time', 'privacy', 'catalog', 'schemas', 'projections', 'subscriptions', 'mirror', 'backup', 'open', 'backends', 'store', 'core'],
  // the package's subpath entries (package.json `exports`) re-export what their part offers
  entry: ['entry', 'server', 'time', 'privacy', 'catalog', 'schemas', 'projections', 'subscriptions', 'command', 'testing', 'mirror', 'backup', 'open', 'backends', 'store', 'core'],
};

/** The packages that are slow to load or native, and what each entry of the package may load of them on import. */
const DRIVERS = ['better-sqlite3', 'pg', '@duckdb/node-api', 'fastify', 'ajv', 'json-schema-to-typescript'];
const ENTRY_DRIVERS: Record<string, string[]> = {
  'index.ts': [],
  'entry/sqlite.ts': ['better-sqlite3'],
  'entry/postgres.ts': ['pg'],
  'entry/lake.ts': [],
  'entry/server.ts': ['ajv', 'fastify'],
  'entry/testing.ts': [],
};

// import and export statements that load their module: under verbatimModuleSyntax only `import type` and `export type` do not
const LOADING_IMPORT = /^(?:import|export)(\s+type\b)?[^;'"]*?\bfrom\s+'([^']+)'|^import\s+'([^']+)'/gm;

/** The packages `entry` loads when imported: its static imports followed through src/, not the dynamic `import()`s that load a driver when it is used. */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, typeOnly, from, bare] of readFileSync(file, 'utf8').matchAll(LOADING_IMPORT)) {
      const target = (from ?? bare)!;
      if (typeOnly !== undefined) continue;
      if (target.startsWith('.')) visit(resolve(file, '..', target.replace(/\.js$/, '.ts')));
      else if (!target.startsWith('node:')) packages.add(target);
    }
  };
  visit(join(SRC, entry));
  return packages;
}

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

it('the root entry loads no driver, DuckDB or fastify; each subpath entry only its own', () => {
  const entries = readdirSync(join(SRC, 'entry')).map((name) => `entry/${name}`);
  expect(Object.keys(ENTRY_DRIVERS).sort()).toEqual(['index.ts', ...entries].sort());
  for (const [entry, drivers] of Object.entries(ENTRY_DRIVERS)) {
    const loaded = [...packagesLoadedBy(entry)].filter((name) => DRIVERS.includes(name));
    expect(loaded.sort(), entry).toEqual(drivers);
  }
});
