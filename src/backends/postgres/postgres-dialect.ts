import type { Bind, FieldValue, FullTextEntry, SqlDialect, SqlStatement } from '../../store/sql-dialect.js';

/** The store's schema: the first on the connection's search path. */
const SCHEMA = '(current_schemas(false))[1]::regnamespace';

/** PostgreSQL's SQL: `$n` placeholders, row locks, jsonb documents with a GIN index, tsvector with the 'english' configuration for full text. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  placeholders(sql: string): string {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  },
  booleanParam: (value) => value,
  selectForUpdate: (select) => `${select} FOR UPDATE`,

  tableExistsQuery: (name) => ({ sql: `SELECT 1 FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = ${SCHEMA}`, params: [name] }),
  // a table's row type takes its name too
  nameTakenQuery: (name) => ({
    sql: `SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = ${SCHEMA}
           UNION ALL SELECT 1 FROM pg_type WHERE typname = $1 AND typnamespace = ${SCHEMA}`,
    params: [name],
  }),
  primaryKeyQuery: (name) => ({
    sql: `SELECT a.attname AS name FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
           WHERE c.relname = $1 AND c.relnamespace = ${SCHEMA} AND i.indisprimary
           ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    params: [name],
  }),

  // COLLATE "C": ids sort by code point, as on SQLite, whatever the database's locale
  documentTable: (table, index) => [
    `CREATE TABLE IF NOT EXISTS ${table} (id text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${table} USING gin (doc jsonb_path_ops)`,
  ],
  jsonParam: (placeholder) => `${placeholder}::jsonb`,
  jsonAsText: (column) => `${column}::text AS ${column}`,
  documentFieldEquals(column: string, path: readonly string[], value: FieldValue, bind: Bind): string {
    if (value === null) return `coalesce(${column} #> ${bind(path)}::text[], 'null'::jsonb) = 'null'::jsonb`;
    // containment is what the jsonb_path_ops GIN index answers
    const nested = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
    return `${column} @> ${bind(JSON.stringify(nested))}::jsonb`;
  },
  documentMerge(table: string, id: string, set: string, removed: readonly string[]): SqlStatement {
    const base = `CASE WHEN jsonb_typeof(${table}.doc) = 'object' THEN ${table}.doc ELSE '{}'::jsonb END`;
    const sql = `INSERT INTO ${table} (id, doc) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET doc = (${base} - $3::text[])`;
    return { sql: `${sql} || excluded.doc`, params: [id, set, removed] };
  },

  fullTextTable: (table, index) => [
    `CREATE TABLE IF NOT EXISTS ${table} (id text COLLATE "C" PRIMARY KEY, fields jsonb NOT NULL, body tsvector NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${table} USING gin (body)`,
  ],
  fullTextIndex(table: string, { id, title, body, fields }: FullTextEntry): SqlStatement[] {
    // weights 'A' and 'B' count 1.0 and 0.4 in ts_rank
    const vector = `setweight(to_tsvector('english', $3), 'A') || setweight(to_tsvector('english', $4), 'B')`;
    const sql = `INSERT INTO ${table} (id, fields, body) VALUES ($1, $2::jsonb, ${vector})`;
    return [{ sql: `${sql} ON CONFLICT (id) DO UPDATE SET fields = excluded.fields, body = excluded.body`, params: [id, fields, title, body] }];
  },
  fullTextRemove: (table, id) => ({ sql: `DELETE FROM ${table} WHERE id = $1`, params: [id] }),
  fullTextSearch(table: string, terms: string, limit: number): SqlStatement {
    // websearch_to_tsquery reads any input without a syntax error
    const from = `${table}, websearch_to_tsquery('english', $1) AS query`;
    const sql = `SELECT id, fields::text AS fields, ts_rank(body, query) AS score FROM ${from} WHERE body @@ query`;
    return { sql: `${sql} ORDER BY score DESC, id LIMIT $2`, params: [terms, limit] };
  },
};
