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
 * The partitions `member` should hold when `members` are alive: partition p
 * goes to the (p mod n)-th member in name order. Every member computes the
 * same answer from the same list, so the group agrees without a leader.
 */
export function partitionsFor(member: string, members: readonly string[], partitions: number): number[] {
  const sorted = [...new Set(members)].sort();
  const index = sorted.indexOf(member);
  if (index < 0) return [];
  const mine: number[] = [];
  for (let partition = index; partition < partitions; partition += sorted.length) mine.push(partition);
  return mine;
}
