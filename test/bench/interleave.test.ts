import { describe, expect, it } from 'vitest';
import { interleave, median, type Figures } from '../../bench/lib/interleave.js';
import { AnswerPasses } from '../../bench/lib/scenarios.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';

describe('the benchmarks\' interleaving', () => {
  it('measures every contender once per run, run r starting at contender r mod n', async () => {
    const order: string[] = [];
    const contender = (name: string) => ({ name, measure: async (run: number) => (order.push(`${run}:${name}`), { rate: 1 }) });
    await interleave(3, [contender('a'), contender('b'), contender('c')]);
    expect(order).toEqual(['0:a', '0:b', '0:c', '1:b', '1:c', '1:a', '2:c', '2:a', '2:b']);
  });

  it('takes ratios within each run, then their median, which the ratio of the medians is not', async () => {
    // the machine slows down and speeds up between runs; ours is always 0.9 of theirs in the same run
    const theirs = [100, 300, 1000];
    const ours = [90, 270, 900];
    const runs = await interleave(3, [
      { name: 'ours', measure: async (run) => ({ rate: ours[run]! }) },
      { name: 'theirs', measure: async (run) => ({ rate: theirs[run]! }) },
    ]);
    expect(runs.ratios('ours', 'theirs').map((value) => value.toFixed(2))).toEqual(['0.90', '0.90', '0.90']);
    expect(runs.ratio('ours', 'theirs')).toBeCloseTo(0.9);
    expect(runs.median('ours')).toBe(270);
    expect(runs.median('theirs')).toBe(300);
  });

  it('leaves out the runs a contender did not measure, and reads any named figure', async () => {
    const runs = await interleave(3, [
      { name: 'ours', measure: async (run): Promise<Figures> => ({ rate: 10 * (run + 1), p99: run + 1 }) },
      { name: 'theirs', measure: async (run): Promise<Figures | undefined> => (run === 1 ? undefined : { rate: 10, p99: 2 }) },
      { name: 'absent', measure: async () => undefined },
    ]);
    expect(runs.ratios('ours', 'theirs')).toEqual([1, 3]);
    expect(runs.each('ours', 'p99')).toEqual([1, 2, 3]);
    expect(runs.ratios('ours', 'theirs', 'p99')).toEqual([0.5, 1.5]);
    expect(runs.median('absent')).toBeUndefined();
    expect(runs.ratio('ours', 'absent')).toBeUndefined();
  });

  it('takes the upper middle of an even count as the median', () => {
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([])).toBeUndefined();
  });
});

describe('counting group commits from the callers\' side', () => {
  it('counts one pass for appends that shared a commit, and one per commit for appends awaited in turn', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const passes = new AnswerPasses();
    const answered = () => passes.answered();
    // started in the same turn: one group, one commit
    await Promise.all(Array.from({ length: 16 }, (_, i) => store.append(`account-${i}`, [{ type: 'Deposited', data: { i } }]).then(answered)));
    expect(passes.passes).toBe(1);
    for (let i = 0; i < 3; i++) {
      await store.append('account-0', [{ type: 'Deposited', data: { i } }]);
      answered();
    }
    expect(passes.passes).toBe(4);
    // 8 callers in a loop: each of their rounds shares a commit
    await Promise.all(
      Array.from({ length: 8 }, async (_, caller) => {
        for (let i = 0; i < 5; i++) {
          await store.append(`account-${caller}`, [{ type: 'Deposited', data: { i } }]);
          answered();
        }
      }),
    );
    expect(passes.passes).toBe(9);
    await store.close();
  });
});
