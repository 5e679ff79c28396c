import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';
import { codeBlocks, type CodeBlock } from '../support/markdown-blocks.js';
import { projectCompilerOptions, ROOT, sourceEntryPoints } from '../support/package-entries.js';

/**
 * Every ```ts (or ```typescript) block of README.md and docs/*.md compiles as a
 * module under the project's strict settings, as a reader would paste it, with
 * `tributary` and its subpaths resolved to the sources. A failing snippet is a
 * documentation bug: fix the snippet.
 *
 * Two conventions:
 * - `store` needs no opening: every snippet may use it as an open store
 *   (`const store = await openStore('./data/tributary.db')`). Any other name a
 *   snippet uses, it defines or imports.
 * - A block whose info string says `fragment` (```ts fragment) is not compiled:
 *   only for text that cannot stand alone, such as one property of a larger
 *   object. Keep them rare: FRAGMENTS_ALLOWED bounds how many there are.
 */
const DOCUMENTS = ['README.md', ...readdirSync(resolve(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const FRAGMENTS_ALLOWED = 2;

const GIVENS = `import type { EventStore } from 'tributary';

declare global {
  /** An open store, as \`await openStore('./data/tributary.db')\` returns it. */
  const store: EventStore;
}
`;

function entryPointPaths(): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const [specifier, source] of sourceEntryPoints()) paths[specifier] = [source];
  return paths;
}

function compilerOptions(): ts.CompilerOptions {
  return { ...projectCompilerOptions(), noEmit: true, paths: entryPointPaths(), typeRoots: [resolve(ROOT, 'node_modules/@types')] };
}

const folder = mkdtempSync(join(tmpdir(), 'tributary-snippets-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const snippets = DOCUMENTS.flatMap(codeBlocks).filter((block) => block.language === 'ts' || block.language === 'typescript');
const isFragment = (snippet: CodeBlock) => snippet.flags.includes('fragment');

it('finds the documentation snippets', () => {
  expect(snippets.filter((snippet) => snippet.document === 'README.md').length).toBeGreaterThanOrEqual(3);
  expect(snippets.filter(isFragment).length).toBeLessThanOrEqual(FRAGMENTS_ALLOWED);
});

it('every TypeScript snippet in README.md and docs/ compiles under strict settings', () => {
  // a project of their own: ES modules, with the package's dependencies installed
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(resolve(ROOT, 'node_modules'), join(folder, 'node_modules'), 'dir');
  writeFileSync(join(folder, 'givens.d.ts'), GIVENS);
  const files = new Map<string, CodeBlock>();
  for (const snippet of snippets.filter((candidate) => !isFragment(candidate))) {
    const file = join(folder, `${snippet.document.replace(/\W/g, '-')}-${snippet.line}.ts`);
    // every snippet is a module, so top-level await is allowed even when it imports nothing
    writeFileSync(file, `${snippet.code}\nexport {};\n`);
    files.set(file, snippet);
  }

  const program = ts.createProgram([join(folder, 'givens.d.ts'), ...files.keys()], compilerOptions());
  const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const snippet = diagnostic.file && files.get(diagnostic.file.fileName);
    if (snippet === undefined || diagnostic.start === undefined) return `${diagnostic.file?.fileName ?? '(global)'}: ${message}`;
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    return `${snippet.document}:${snippet.line + line}: ${message}`;
  });
  expect(problems).toEqual([]);
}, 60_000);
