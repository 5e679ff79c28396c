import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, TributaryError, isTributaryError, wrongExpectedRevision } from '../../src/core/errors.js';

describe('errors', () => {
  it('every code in the table is documented in docs/errors.md, and every documented code exists', () => {
    const docs = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    const documented = [...docs.matchAll(/^### ([A-Z_]+)$/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('retriable codes say so in their documentation', () => {
    const docs = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    for (const [code, { retriable }] of Object.entries(ERROR_CODES)) {
      const section = docs.split(`### ${code}\n`)[1]!.split('###')[0]!;
      expect(section.startsWith('Retriable.'), code).toBe(retriable);
    }
  });

  it('product code raises only coded errors: no plain Error, TypeError or RangeError anywhere in src/', () => {
    const root = resolve(import.meta.dirname, '../../src');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(50);
    const uncoded = files.flatMap((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/\bnew (?:Type|Range)?Error\(/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(uncoded).toEqual([]);
  });

  it('carries code, details and retriable, and serialises for the HTTP error body', () => {
    const error = wrongExpectedRevision('account-1', 3, 5);
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TributaryError');
    expect(error.retriable).toBe(false);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'WRONG_EXPECTED_REVISION',
      message: error.message,
      stream: 'account-1',
      expected: 3,
      actual: 5,
    });
    expect(isTributaryError(error, 'WRONG_EXPECTED_REVISION')).toBe(true);
    expect(isTributaryError(error, 'STREAM_DELETED')).toBe(false);
    expect(isTributaryError(new Error('plain'))).toBe(false);
    expect(new TributaryError('STORE_BUSY', 'busy').retriable).toBe(true);
  });

  it('is recognised across copies of the module (brand, not identity)', () => {
    const foreign = Object.create({ [Symbol.for('tributary.error')]: true }) as object;
    expect(foreign instanceof TributaryError).toBe(true);
  });
});
