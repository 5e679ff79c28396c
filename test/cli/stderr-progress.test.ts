import { afterEach, expect, it, vi } from 'vitest';
import { stderrProgress } from '../../src/cli/stderr-progress.js';

afterEach(() => vi.restoreAllMocks());

it('off a terminal, draws the finished count once, and nothing for the same count again, so a finished replay ends with one line', () => {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
  const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
  try {
    const progress = stderrProgress();
    progress.show(0, 3);
    progress.show(1, 3);
    progress.show(3, 3);
    progress.show(3, 3);
    progress.end();
  } finally {
    if (tty === undefined) delete (process.stderr as { isTTY?: boolean }).isTTY;
    else Object.defineProperty(process.stderr, 'isTTY', tty);
  }
  const counts = lines.map((line) => /(\d+)\/(\d+) events/.exec(line)?.[0]);
  // the first count shows only once a second has passed since the process started; the finished count always, once
  expect(counts.filter((count) => count === '3/3 events')).toHaveLength(1);
  expect(counts.at(-1)).toBe('3/3 events');
});
