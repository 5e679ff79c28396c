import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignPartitions, partitionOfStream } from '../../src/subscriptions/partitions.js';

const held = (owner: string, count: number): string[] => Array.from({ length: count }, () => owner);
const entries = (assignment: Map<string, number[]>) => Object.fromEntries(assignment);

describe('assignPartitions', () => {
  it('gives the first member everything, and a joining member only the partitions it takes', () => {
    expect(entries(assignPartitions(['a'], [null, null, null, null]))).toEqual({ a: [0, 1, 2, 3] });
    expect(entries(assignPartitions(['a', 'b'], held('a', 4)))).toEqual({ a: [0, 1], b: [2, 3] });
    // a and b hold alternate partitions: c takes one of each's surplus and nothing else moves
    const owners = ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'];
    expect(entries(assignPartitions(['a', 'b', 'c'], owners))).toEqual({ a: [0, 2, 4], b: [1, 3, 5], c: [6, 7] });
  });

  it('spreads a gone member’s partitions over the others, who keep their own', () => {
    // b left: its partitions are free
    const owners = ['a', null, 'c', 'a', null, 'c', 'a', null, 'c'];
    expect(entries(assignPartitions(['a', 'c'], owners))).toEqual({ a: [0, 1, 3, 4, 6], c: [2, 5, 7, 8] });
    // a partition held by a member no longer alive counts as free
    expect(entries(assignPartitions(['a'], ['a', 'ghost']))).toEqual({ a: [0, 1] });
  });

  it('leaves a lone partition with its holder when members join with names before it', () => {
    expect(entries(assignPartitions(['a', 'b', 'z'], ['z']))).toEqual({ a: [], b: [], z: [0] });
    expect(entries(assignPartitions(['a', 'b', 'z'], [null]))).toEqual({ a: [0], b: [], z: [] });
  });

  it('gives every partition to exactly one member, balanced, keeping each member’s holdings up to its due', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const cases = fc.record({
      members: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1 }),
      owners: fc.array(fc.option(fc.constantFrom(...names, 'gone'), { nil: null }), { minLength: 1, maxLength: 40 }),
    });
    fc.assert(
      fc.property(cases, ({ members, owners }) => {
        const assignment = assignPartitions(members, owners);
        const all = [...assignment.values()].flat().sort((x, y) => x - y);
        expect(all).toEqual(owners.map((_, partition) => partition));
        const sizes = [...assignment.values()].map((partitions) => partitions.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const [member, partitions] of assignment) {
          const holds = owners.flatMap((owner, partition) => (owner === member ? [partition] : []));
          // a member keeps all it holds, or as much of it as it is due
          expect(partitions.filter((partition) => holds.includes(partition)).length).toBe(Math.min(holds.length, partitions.length));
        }
      }),
    );
  });

  it('once the group has settled, a join moves only the partitions the joiner takes', () => {
    const settle = (members: string[], owners: (string | null)[]) => {
      const settled = [...owners];
      for (const [member, partitions] of assignPartitions(members, owners)) for (const partition of partitions) settled[partition] = member;
      return settled;
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 6 }), (count, size) => {
        const members = Array.from({ length: size }, (_, i) => `m${i + 1}`);
        const before = settle(members, Array(count).fill(null) as null[]);
        // the joiner sorts first: the extra partitions still stay where they are
        const after = settle([...members, 'm0'], before);
        const moved = after.flatMap((owner, partition) => (owner === before[partition] ? [] : [owner]));
        expect(new Set(moved).size).toBeLessThanOrEqual(1);
        if (moved.length > 0) expect(moved[0]).toBe('m0');
        expect(settle([...members, 'm0'], after)).toEqual(after);
      }),
    );
  });
});

describe('partitionOfStream', () => {
  it('puts a stream in the same partition every time, by FNV-1a of its name', () => {
    expect(partitionOfStream('order-1', 16)).toBe(partitionOfStream('order-1', 16));
    expect(partitionOfStream('', 7)).toBe(0x811c9dc5 % 7);
  });
});
