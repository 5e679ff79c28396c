import type { SqlTransaction } from '../../store/consumer-store.js';
import { BRANCH_EVENTS, EVENT_COLUMNS, type BranchEventRow } from './branch-rows.js';

type Reader = Pick<SqlTransaction, 'dialect' | 'query'>;

/** The last event of `stream` in branch `branch` at or below `maxSeq`, by revision and seq. */
export async function streamTail(db: Reader, branch: string, stream: string, maxSeq: number): Promise<{ revision: number; seq: number } | undefined> {
  const [row] = await db.query<{ revision: number | string; seq: number | string }>(
    db.dialect.placeholders(`SELECT revision, seq FROM ${BRANCH_EVENTS} WHERE branch = ? AND stream = ? AND seq <= ? ORDER BY revision DESC LIMIT 1`),
    [branch, stream, maxSeq],
  );
  return row === undefined ? undefined : { revision: Number(row.revision), seq: Number(row.seq) };
}

/** A page of one stream's branch events from revision `from`, forward or backward, at or below `maxSeq`. */
export function streamRows(
  db: Reader,
  branch: string,
  stream: string,
  page: { from: number; backward: boolean; limit: number; maxSeq: number },
): Promise<BranchEventRow[]> {
  const order = page.backward ? 'revision <= ? ORDER BY revision DESC' : 'revision >= ? ORDER BY revision';
  return db.query<BranchEventRow>(
    db.dialect.placeholders(`SELECT ${EVENT_COLUMNS} FROM ${BRANCH_EVENTS} WHERE branch = ? AND stream = ? AND seq <= ? AND ${order} LIMIT ?`),
    [branch, stream, page.maxSeq, page.from, page.limit],
  );
}

/** The branch's events with seq in `(afterSeq, untilSeq]`, in seq order, at most `limit`; only those whose `only.column` is one of its values when given. */
export function rowsAfter(
  db: Reader,
  branch: string,
  range: { afterSeq: number; untilSeq: number; limit: number },
  only?: { column: 'category' | 'type'; values: readonly string[] },
): Promise<BranchEventRow[]> {
  const matching = only === undefined ? '' : `AND ${only.column} IN (${only.values.map(() => '?').join(', ')})`;
  return db.query<BranchEventRow>(
    db.dialect.placeholders(`SELECT ${EVENT_COLUMNS} FROM ${BRANCH_EVENTS} WHERE branch = ? AND seq > ? AND seq <= ? ${matching} ORDER BY seq LIMIT ?`),
    [branch, range.afterSeq, range.untilSeq, ...(only?.values ?? []), range.limit],
  );
}

/** The seq of the branch's last event recorded at or before `time`; 0 when none was. */
export async function lastSeqAt(db: Reader, branch: string, time: number): Promise<number> {
  const [row] = await db.query<{ seq: number | string | null }>(
    db.dialect.placeholders(`SELECT MAX(seq) AS seq FROM ${BRANCH_EVENTS} WHERE branch = ? AND recorded_at <= ?`),
    [branch, time],
  );
  return Number(row?.seq ?? 0);
}

/** The branch's events stored under any of `ids`. */
export function rowsById(db: Reader, branch: string, ids: readonly string[]): Promise<BranchEventRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  const marks = ids.map(() => '?').join(', ');
  return db.query<BranchEventRow>(
    db.dialect.placeholders(`SELECT ${EVENT_COLUMNS} FROM ${BRANCH_EVENTS} WHERE branch = ? AND id IN (${marks})`),
    [branch, ...ids],
  );
}
