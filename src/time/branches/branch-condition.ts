import { CONFLICTS_NAMED, matchesQuery, type CheckedCondition } from '../../core/event-query.js';
import { categoryOf } from '../../core/stream-name.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { EventStore } from '../../store/event-store.js';
import { MAX_PAGE_SIZE } from '../../store/options.js';
import { BRANCH_EVENTS } from './branch-rows.js';

/**
 * The real positions up to the fork that fail a conditional append on a
 * branch: events after the condition's position matching its query (and its
 * categories). The real log up to the fork never changes, so this is read
 * once, before the append's transaction. At most CONFLICTS_NAMED.
 */
export async function realConflicts(real: EventStore, condition: CheckedCondition, fork: number): Promise<number[]> {
  const positions: number[] = [];
  let after = condition.after;
  while (after < fork && positions.length < CONFLICTS_NAMED) {
    const query = condition.items.map(({ types, tags }) => ({ types, tags }));
    const page = await real.readAll({ query, categories: condition.categories, after, limit: MAX_PAGE_SIZE, raw: true, asOf: fork });
    positions.push(...page.events.filter((event) => event.position <= fork).map((event) => event.position));
    if (page.next === null) break;
    after = page.next;
  }
  return positions.slice(0, CONFLICTS_NAMED);
}

/** The branch's own positions that fail the condition, read in the append's transaction while the branch is locked. */
export async function branchConflicts(tx: SqlTransaction, branch: string, fork: number, condition: CheckedCondition): Promise<number[]> {
  const rows = await tx.query<{ seq: number | string; stream: string; type: string; tags: string | null }>(
    tx.dialect.placeholders(`SELECT seq, stream, type, tags FROM ${BRANCH_EVENTS} WHERE branch = ? AND seq > ? ORDER BY seq`),
    [branch, Math.max(0, condition.after - fork)],
  );
  const { categories } = condition;
  return rows
    .filter((row) => categories === undefined || categories.includes(categoryOf(row.stream)))
    .filter((row) => matchesQuery(condition.items, row.type, row.tags === null ? [] : (JSON.parse(row.tags) as string[])))
    .slice(0, CONFLICTS_NAMED)
    .map((row) => fork + Number(row.seq));
}
