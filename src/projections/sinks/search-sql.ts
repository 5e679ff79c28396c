import { invalidArgument } from '../../core/errors.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import { pageLimit } from '../../store/options.js';
import { indexName, quoteTable } from './documents-sql.js';

/** One match of a search: `rank` is higher for better matches on both dialects, but not comparable between them. */
export interface SearchHit {
  id: string;
  rank: number;
  fields: Record<string, string>;
}

/** The field that weighs more than the others (how much more is the dialect's). */
const TITLE = 'title';
/** Letters, digits and private-use characters (FTS5's unicode61 token characters): input without one has nothing to look for. */
const TOKEN = /[\p{L}\p{N}\p{Co}]/u;

function checkedFields(fields: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string') throw invalidArgument('fields', `${JSON.stringify(key)} must be a string, got ${typeof value}`);
  }
  return fields;
}

/**
 * A full-text index with ranking in the store's database: FTS5 (porter
 * stemming) on SQLite, tsvector with the 'english' configuration on
 * PostgreSQL. The field named `title` weighs more than the rest.
 *
 * ```ts
 * await searchSql.index(tx, 'articles', 'a-1', { title: 'Running in winter', body: 'Layers, then more layers.' });
 * const hits = await searchSql.search(tx, 'articles', 'runs winter');
 * ```
 */
export const searchSql = {
  /** Creates the index unless it exists. */
  async create(tx: SqlTransaction, table: string): Promise<void> {
    for (const ddl of tx.dialect.fullTextTable(quoteTable(table), indexName(table, 'body'))) await tx.execute(ddl);
  },

  /** Drops the index if it exists. */
  async drop(tx: SqlTransaction, table: string): Promise<void> {
    await tx.execute(`DROP TABLE IF EXISTS ${quoteTable(table)}`);
  },

  /** Indexes `fields` under `id`, replacing what was indexed for it before. */
  async index(tx: SqlTransaction, table: string, id: string, fields: Record<string, string>): Promise<void> {
    const { [TITLE]: title = '', ...others } = checkedFields(fields);
    const entry = { id, title, body: Object.values(others).join('\n'), fields: JSON.stringify(fields) };
    for (const { sql, params } of tx.dialect.fullTextIndex(quoteTable(table), entry)) await tx.execute(sql, params);
  },

  /** Removes the entry; true when it existed. */
  async remove(tx: SqlTransaction, table: string, id: string): Promise<boolean> {
    const { sql, params } = tx.dialect.fullTextRemove(quoteTable(table), id);
    const { changes } = await tx.execute(sql, params);
    return changes > 0;
  },

  /**
   * The best matches for what a person typed, best first (default limit 20).
   * No input is a syntax error: stray quotes, operators and punctuation are
   * searched as text or ignored; input without words finds nothing.
   */
  async search(tx: SqlTransaction, table: string, terms: string, options: { limit?: number } = {}): Promise<SearchHit[]> {
    const limit = pageLimit(options.limit ?? 20);
    // a NUL ends an FTS5 string early and is refused by PostgreSQL's text input
    const typed = terms.replaceAll('\0', ' ');
    if (!TOKEN.test(typed)) return [];
    const statement = tx.dialect.fullTextSearch(quoteTable(table), typed, limit);
    if (statement === undefined) return [];
    const rows = await tx.query<{ id: string; fields: string; score: unknown }>(statement.sql, statement.params);
    return rows.map((row) => ({ id: row.id, rank: Number(row.score), fields: JSON.parse(row.fields) as Record<string, string> }));
  },

  /** How many entries the index holds. */
  async count(tx: SqlTransaction, table: string): Promise<number> {
    const rows = await tx.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${quoteTable(table)}`);
    return Number(rows[0]?.n ?? 0);
  },
};
