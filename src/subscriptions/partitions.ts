/**
 * Which partition of a consumer group a stream belongs to: FNV-1a of the
 * stream name. Every event of a stream lands in the same partition, so the
 * member holding that partition sees the whole stream, in order.
 */
export function partitionOfStream(stream: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) {
    hash ^= stream.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * The partitions each live member should hold, moving as few as possible. Of
 * n members each is due `partitions div n`, and the `partitions mod n` holding
 * the most (ties in name order) one more. A member keeps what it holds, lowest
 * first, up to what it is due; the rest (free, or beyond their holder's due)
 * go in ascending order to the members below their due, in name order. So a
 * joining member takes only its own share, and the others keep theirs. Every
 * member computes the same answer from the same heartbeat, so the group agrees
 * without a leader.
 *
 * ```ts
 * assignPartitions(['a', 'b'], ['a', 'a', 'a', 'a']) // a: [0, 1], b: [2, 3]
 * ```
 */
export function assignPartitions(members: readonly string[], owners: readonly (string | null)[]): Map<string, number[]> {
  const names = [...new Set(members)].sort();
  const held = new Map(names.map((name) => [name, [] as number[]]));
  owners.forEach((owner, partition) => owner !== null && held.get(owner)?.push(partition));
  const base = Math.floor(owners.length / Math.max(1, names.length));
  // a stable sort: names with as many partitions stay in name order
  const ranked = [...names].sort((a, b) => held.get(b)!.length - held.get(a)!.length);
  const due = new Map(ranked.map((name, rank) => [name, base + (rank < owners.length % names.length ? 1 : 0)]));
  const assignment = new Map<string, number[]>();
  const spare = owners.flatMap((owner, partition) => (owner === null || !held.has(owner) ? [partition] : []));
  for (const name of names) {
    const mine = held.get(name)!;
    assignment.set(name, mine.slice(0, due.get(name)));
    spare.push(...mine.slice(due.get(name)));
  }
  spare.sort((a, b) => a - b);
  for (const name of names) {
    const mine = assignment.get(name)!;
    mine.push(...spare.splice(0, due.get(name)! - mine.length));
    mine.sort((a, b) => a - b);
  }
  return assignment;
}
