import { createHash } from 'node:crypto';
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

/** The field that weighs more than the others: bm25 column weight on SQLite, setweight 'A' against 'B' (1.0 / 0.4) on PostgreSQL. */
const TITLE = 'title';
const TITLE_WEIGHT = 2.5;
/** Letters, digits and private-use characters: the token characters of FTS5's unicode61 tokenizer. */
const TOKEN = /[\p{L}\p{N}\p{Co}]/u;

/** The FTS5 rowid of an id: a 63-bit hash, so replacing and removing look the row up instead of scanning the table. */
function rowid(id: string): bigint {
  return createHash('sha256').update(id).digest().readBigUInt64BE(0) >> 1n;
}

function quoted(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/**
 * What a person typed as a safe FTS5 query: words and "phrases" ANDed, each
 * one quoted so no character is syntax; `-word` excludes, `word*` is a
 * prefix. Undefined when nothing is left to look for.
 */
function fts5Query(terms: string): string | undefined {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const [, phrase, word] of terms.matchAll(/"([^"]*)"|(\S+)/g)) {
    if (phrase !== undefined) {
      if (TOKEN.test(phrase)) include.push(quoted(phrase));
      continue;
    }
    const negated = word!.startsWith('-');
    const prefix = word!.endsWith('*');
    const text = word!.replace(/^-/, '').replace(/\*+$/, '');
    if (!TOKEN.test(text)) continue;
    (negated ? exclude : include).push(quoted(text) + (prefix && !negated ? '*' : ''));
  }
  // FTS5 has no "everything but": a query of exclusions alone finds nothing
  if (include.length === 0) return undefined;
  return include.join(' AND ') + exclude.map((term) => ` NOT ${term}`).join('');
}

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
    const name = quoteTable(table);
    if (tx.dialect === 'sqlite') {
      const columns = `id UNINDEXED, ${TITLE}, body, fields UNINDEXED, tokenize = 'porter unicode61'`;
      await tx.execute(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING fts5(${columns})`);
      return;
    }
    await tx.execute(`CREATE TABLE IF NOT EXISTS ${name} (id text COLLATE "C" PRIMARY KEY, fields jsonb NOT NULL, body tsvector NOT NULL)`);
    await tx.execute(`CREATE INDEX IF NOT EXISTS ${indexName(table, 'body')} ON ${name} USING gin (body)`);
  },

  /** Drops the index if it exists. */
  async drop(tx: SqlTransaction, table: string): Promise<void> {
    await tx.execute(`DROP TABLE IF EXISTS ${quoteTable(table)}`);
  },

  /** Indexes `fields` under `id`, replacing what was indexed for it before. */
  async index(tx: SqlTransaction, table: string, id: string, fields: Record<string, string>): Promise<void> {
    const name = quoteTable(table);
    const { [TITLE]: title = '', ...others } = checkedFields(fields);
    const body = Object.values(others).join('\n');
    const json = JSON.stringify(fields);
    if (tx.dialect === 'postgres') {
      const vector = `setweight(to_tsvector('english', $3), 'A') || setweight(to_tsvector('english', $4), 'B')`;
      const sql = `INSERT INTO ${name} (id, fields, body) VALUES ($1, $2::jsonb, ${vector})`;
      await tx.execute(`${sql} ON CONFLICT (id) DO UPDATE SET fields = excluded.fields, body = excluded.body`, [id, json, title, body]);
      return;
    }
    // FTS5 tables have no UPSERT
    await tx.execute(`DELETE FROM ${name} WHERE rowid = ? AND id = ?`, [rowid(id), id]);
    await tx.execute(`INSERT INTO ${name} (rowid, id, ${TITLE}, body, fields) VALUES (?, ?, ?, ?, ?)`, [rowid(id), id, title, body, json]);
  },

  /** Removes the entry; true when it existed. */
  async remove(tx: SqlTransaction, table: string, id: string): Promise<boolean> {
    const name = quoteTable(table);
    const { changes } =
      tx.dialect === 'sqlite'
        ? await tx.execute(`DELETE FROM ${name} WHERE rowid = ? AND id = ?`, [rowid(id), id])
        : await tx.execute(`DELETE FROM ${name} WHERE id = $1`, [id]);
    return changes > 0;
  },

  /**
   * The best matches for what a person typed, best first (default limit 20).
   * No input is a syntax error: stray quotes, operators and punctuation are
   * searched as text or ignored; input without words finds nothing.
   */
  async search(tx: SqlTransaction, table: string, terms: string, options: { limit?: number } = {}): Promise<SearchHit[]> {
    const name = quoteTable(table);
    const limit = pageLimit(options.limit ?? 20);
    // a NUL ends an FTS5 string early and is refused by PostgreSQL's text input
    const typed = terms.replaceAll('\0', ' ');
    if (!TOKEN.test(typed)) return [];
    let rows: { id: string; fields: string; score: unknown }[];
    if (tx.dialect === 'sqlite') {
      const match = fts5Query(typed);
      if (match === undefined) return [];
      // bm25 is lower-is-better: negated so higher is better, as ts_rank is
      const score = `-bm25(${name}, 0, ${TITLE_WEIGHT}, 1, 0)`;
      const sql = `SELECT id, fields, ${score} AS score FROM ${name} WHERE ${name} MATCH ? ORDER BY score DESC, id LIMIT ?`;
      rows = await tx.query(sql, [match, limit]);
    } else {
      const from = `${name}, websearch_to_tsquery('english', $1) AS query`;
      const sql = `SELECT id, fields::text AS fields, ts_rank(body, query) AS score FROM ${from} WHERE body @@ query`;
      rows = await tx.query(`${sql} ORDER BY score DESC, id LIMIT $2`, [typed, limit]);
    }
    return rows.map((row) => ({ id: row.id, rank: Number(row.score), fields: JSON.parse(row.fields) as Record<string, string> }));
  },

  /** How many entries the index holds. */
  async count(tx: SqlTransaction, table: string): Promise<number> {
    const rows = await tx.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${quoteTable(table)}`);
    return Number(rows[0]?.n ?? 0);
  },
};
