import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';

const root = resolve(import.meta.dirname, '../..');

it("the tests' backend list names every backend folder of src/backends, and each runs the contract suite", () => {
  const folders = readdirSync(resolve(root, 'src/backends'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  expect([...BACKENDS].sort()).toEqual(folders.sort());
  for (const name of BACKENDS) {
    expect(readFileSync(resolve(root, `test/backends/${name}.test.ts`), 'utf8'), name).toContain('describeEventStoreContract({');
  }
});
