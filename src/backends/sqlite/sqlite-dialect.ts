import { createHash } from 'node:crypto';
import type { Bind, FieldValue, FullTextEntry, SqlDialect, SqlStatement } from '../../store/sql-dialect.js';

/** How much more a match in the title counts than one in the body: the bm25 column weight. */
const TITLE_WEIGHT = 2.5;
/** Letters, digits and private-use characters: the token characters of FTS5's unicode61 tokenizer. */
const TOKEN = /[\p{L}\p{N}\p{Co}]/u;

/** The FTS5 rowid of an id: a 63-bit hash, so replacing and removing look the row up instead of scanning the table. */
function rowid(id: string): bigint {
  return createHash('sha256').update(id).digest().readBigUInt64BE(0) >> 1n;
}

/** The statement that removes entry `id` from an FTS5 table. */
function entryRemoval(table: string, id: string): SqlStatement {
  return { sql: `DELETE FROM ${table} WHERE rowid = ? AND id = ?`, params: [rowid(id), id] };
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

/** SQLite's SQL: one writer (no row locks), JSON1 documents as text, FTS5 with porter stemming for full text. */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  placeholders: (sql) => sql,
  // better-sqlite3 binds no booleans
  booleanParam: (value) => Number(value),
  selectForUpdate: (select) => select,
  tableExistsQuery: (name) => ({ sql: "SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", params: [name] }),
  // SQLite ignores case in names, so `Orders` takes `orders`
  nameTakenQuery: (name) => ({ sql: 'SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?)', params: [name] }),
  primaryKeyQuery: (name) => ({ sql: 'SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk', params: [name] }),

  // TEXT, not JSON: a column declared JSON has NUMERIC affinity and would turn the document '2' into an integer
  documentTable: (table) => [`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`],
  jsonParam: (placeholder) => `json(${placeholder})`,
  jsonAsText: (column) => column,
  documentFieldEquals(column: string, path: readonly string[], value: FieldValue, bind: Bind): string {
    // each key quoted, so no key is read as path syntax
    const jsonPath = `$${path.map((key) => `."${key}"`).join('')}`;
    if (value === null) return `coalesce(json_type(${column}, ${bind(jsonPath)}), 'null') = 'null'`;
    // json_type, not json_extract: json_extract gives 1 for true and cannot tell them apart
    if (typeof value === 'boolean') return `json_type(${column}, ${bind(jsonPath)}) = ${bind(String(value))}`;
    const types = typeof value === 'string' ? `= 'text'` : `IN ('integer', 'real')`;
    return `(json_type(${column}, ${bind(jsonPath)}) ${types} AND json_extract(${column}, ${bind(jsonPath)}) = ${bind(value)})`;
  },
  documentMerge(table: string, id: string, set: string, removed: readonly string[]): SqlStatement {
    // json_patch merges nested objects and drops their nulls, so it only removes keys; the disjoint, minified objects are joined as text
    const removal = JSON.stringify(Object.fromEntries(removed.map((key) => [key, null])));
    const kept = 'json_patch(doc, ?)';
    const joined = `substr(${kept}, 1, length(${kept}) - 1) || ',' || substr(excluded.doc, 2)`;
    const merged = `CASE WHEN excluded.doc = '{}' THEN ${kept} WHEN ${kept} = '{}' THEN excluded.doc ELSE ${joined} END`;
    const sql = `INSERT INTO ${table} (id, doc) VALUES (?, json(?)) ON CONFLICT (id) DO UPDATE SET doc = ${merged}`;
    return { sql, params: [id, set, removal, removal, removal, removal] };
  },

  fullTextTable: (table) => [
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING fts5(id UNINDEXED, title, body, fields UNINDEXED, tokenize = 'porter unicode61')`,
  ],
  // FTS5 tables have no UPSERT
  fullTextIndex: (table: string, { id, title, body, fields }: FullTextEntry) => [
    entryRemoval(table, id),
    { sql: `INSERT INTO ${table} (rowid, id, title, body, fields) VALUES (?, ?, ?, ?, ?)`, params: [rowid(id), id, title, body, fields] },
  ],
  fullTextRemove: entryRemoval,
  fullTextSearch(table: string, terms: string, limit: number): SqlStatement | undefined {
    const match = fts5Query(terms);
    if (match === undefined) return undefined;
    // bm25 is lower-is-better: negated so higher is better
    const score = `-bm25(${table}, 0, ${TITLE_WEIGHT}, 1, 0)`;
    const sql = `SELECT id, fields, ${score} AS score FROM ${table} WHERE ${table} MATCH ? ORDER BY score DESC, id LIMIT ?`;
    return { sql, params: [match, limit] };
  },
};
