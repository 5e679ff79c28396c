import { expect, it } from 'vitest';
import { FILL_BATCH, QUIET_UP_TO, fillBatches } from '../../src/store/category-index-fill.js';

const run = (head: number) => {
  const lines: string[] = [];
  const batches = [...fillBatches(head, (line) => lines.push(line))];
  return { batches, lines };
};

it('covers positions 1 to the head in batches with no gap and no overlap', () => {
  for (const head of [0, 1, FILL_BATCH, FILL_BATCH + 1, 3 * FILL_BATCH - 7]) {
    const { batches } = run(head);
    expect(batches[0]?.after ?? 0).toBe(0);
    expect(batches.at(-1)?.until ?? 0).toBe(head);
    for (const [i, batch] of batches.entries()) {
      expect(batch.until - batch.after).toBeGreaterThan(0);
      expect(batch.until - batch.after).toBeLessThanOrEqual(FILL_BATCH);
      if (i > 0) expect(batch.after).toBe(batches[i - 1]!.until);
    }
  }
});

it('says nothing for a log up to a million events, and about every tenth of a larger one, ending at its head', () => {
  expect(run(QUIET_UP_TO).lines).toEqual([]);
  const { lines } = run(2_500_000);
  expect(lines.length).toBeGreaterThanOrEqual(9);
  expect(lines.length).toBeLessThanOrEqual(11);
  expect(lines.at(-1)).toContain('2,500,000 of 2,500,000');
});
