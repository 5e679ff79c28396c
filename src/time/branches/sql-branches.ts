import { asOfBeyondHead, parseAsOf, type AsOf } from '../../core/as-of.js';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import { assertBranchName, branchNotFound, type BranchInfo, type Branches, type CreateBranchOptions } from '../../store/branches.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { EventStore } from '../../store/event-store.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { BRANCHES, BRANCH_EVENTS, headOf, infoOf, type BranchHead, type BranchRow } from './branch-rows.js';

type Reader = Pick<SqlTransaction, 'dialect' | 'query'>;

/**
 * The branches of a SQL store, in its own tables beside the log (migration
 * 10): one implementation for SQLite and PostgreSQL through the store's
 * `SqlAccess`. `real` is the store whose log the branches fork.
 *
 * ```ts
 * const branches = new SqlBranches(store, store.sql!);
 * await branches.create('late-supplier', { at: 1_204 });
 * ```
 */
export class SqlBranches implements Branches {
  readonly #real: EventStore;
  readonly #sql: SqlAccess;

  constructor(real: EventStore, sql: SqlAccess) {
    this.#real = real;
    this.#sql = sql;
  }

  async create(name: string, options: CreateBranchOptions = {}): Promise<BranchInfo> {
    assertBranchName(name);
    const createdBy = options.createdBy ?? null;
    if (createdBy !== null && typeof createdBy !== 'string') {
      throw invalidArgument('createdBy', 'must be a string');
    }
    const fork = await this.#forkPosition(options.at);
    const createdAt = Date.now();
    const { changes } = await this.#sql.transaction((tx) =>
      tx.execute(
        tx.dialect.placeholders(`INSERT INTO ${BRANCHES} (name, fork_position, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`),
        [name, fork, createdAt, createdBy],
      ),
    );
    if (changes === 0) throw new TributaryError('BRANCH_EXISTS', `a branch named ${JSON.stringify(name)} exists already`, { branch: name });
    return infoOf({ name, fork, lastSeq: 0, createdAt, createdBy }, []);
  }

  async list(): Promise<BranchInfo[]> {
    const rows = await this.#sql.query<BranchRow>(`SELECT * FROM ${BRANCHES} ORDER BY name`);
    const touched = await this.#sql.query<{ branch: string; category: string }>(
      `SELECT DISTINCT branch, category FROM ${BRANCH_EVENTS} ORDER BY branch, category`,
    );
    const categories = new Map<string, string[]>();
    for (const { branch, category } of touched) categories.set(branch, [...(categories.get(branch) ?? []), category]);
    return rows.map((row) => infoOf(headOf(row), categories.get(row.name) ?? []));
  }

  async describe(name: string): Promise<BranchInfo> {
    const head = await this.head(name);
    const touched = await this.#sql.query<{ category: string }>(
      this.#sql.dialect.placeholders(`SELECT DISTINCT category FROM ${BRANCH_EVENTS} WHERE branch = ? ORDER BY category`),
      [name],
    );
    return infoOf(head, touched.map((row) => row.category));
  }

  async delete(name: string): Promise<void> {
    assertBranchName(name);
    await this.#sql.transaction(async (tx) => {
      // the branch's row first: an append in flight commits its events before they are removed, never after
      await this.lock(tx, name);
      await tx.execute(tx.dialect.placeholders(`DELETE FROM ${BRANCH_EVENTS} WHERE branch = ?`), [name]);
      await tx.execute(tx.dialect.placeholders(`DELETE FROM ${BRANCHES} WHERE name = ?`), [name]);
    });
  }

  /** Where the branch forks and how far it reaches; BRANCH_NOT_FOUND when there is none. */
  async head(name: string, db: Reader = this.#sql): Promise<BranchHead> {
    assertBranchName(name);
    const [row] = await db.query<BranchRow>(db.dialect.placeholders(`SELECT * FROM ${BRANCHES} WHERE name = ?`), [name]);
    if (row === undefined) throw branchNotFound(name);
    return headOf(row);
  }

  /** The branch's head read under a row lock on PostgreSQL (SQLite has one writer): appends to one branch take turns. */
  async lock(tx: SqlTransaction, name: string): Promise<BranchHead> {
    const select = tx.dialect.selectForUpdate(`SELECT * FROM ${BRANCHES} WHERE name = ?`);
    const [row] = await tx.query<BranchRow>(tx.dialect.placeholders(select), [name]);
    if (row === undefined) throw branchNotFound(name);
    return headOf(row);
  }

  /** The fork point of `at`: a position from 0 to the head, or the last position recorded at or before a time; the head when omitted. */
  async #forkPosition(at: AsOf | undefined): Promise<number> {
    const head = await this.#real.headPosition();
    if (at === undefined) return head;
    // 0 forks before the first event: parseAsOf reads positions from 1
    if (at === 0 || at === '0') return 0;
    const parsed = parseAsOf(at);
    if ('time' in parsed) return this.#real.positionAt(new Date(parsed.time));
    if (parsed.position > head) throw asOfBeyondHead(parsed.position, head);
    return parsed.position;
  }
}
