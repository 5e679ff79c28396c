import { createHash } from 'node:crypto';
import { invalidArgument } from '../../core/errors.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import { pageLimit } from '../../store/options.js';
import type { FieldValue, SqlDialect } from '../../store/sql-dialect.js';
import { quoteIdentifier } from './sql-text.js';

/** A JSON value as stored: what `JSON.parse` returns. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Field path (`'status'`, `'customer.address.city'`) → the value it must equal,
 * JSON types included: `'2'` never matches the number 2, `true` never matches 1.
 * `null` matches a field that is null or missing (the same as what `patch` leaves
 * after setting it to null).
 */
export type DocumentFilter = Record<string, string | number | boolean | null>;

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** @internal The table name, checked and double-quoted (shared with search-sql.ts). */
export function quoteTable(table: string): string {
  if (!TABLE.test(table)) throw invalidArgument('table', `must be [a-z_][a-z0-9_]*, 63 characters at most, got ${JSON.stringify(table)}`);
  return quoteIdentifier(table);
}

/** @internal A PostgreSQL index name for the table that fits in 63 bytes, where truncation could collide with another name. */
export function indexName(table: string, suffix: string): string {
  const name = `${table}_${suffix}`;
  if (name.length <= 63) return quoteIdentifier(name);
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  return quoteIdentifier(`${table.slice(0, 63 - suffix.length - 10)}_${hash}_${suffix}`);
}

/** Collects bound values, writing each one's placeholder in the dialect's style. */
class Params {
  readonly values: unknown[] = [];
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  add = (value: unknown): string => {
    this.values.push(value);
    return this.#dialect.placeholder(this.values.length);
  };
}

function fieldPath(field: string): string[] {
  if (!FIELD.test(field)) throw invalidArgument('field', `must be dot-separated names like 'a' or 'a.b', got ${JSON.stringify(field)}`);
  return field.split('.');
}

function jsonText(name: string, value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw invalidArgument(name, 'must be a JSON value');
  return text;
}

/** One filter entry as a condition; every value and path is a bound parameter. */
function condition(dialect: SqlDialect, params: Params, field: string, value: unknown): string {
  const path = fieldPath(field);
  const comparable = value === null || typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value);
  if (!comparable) {
    const got = typeof value === 'number' ? value : typeof value;
    throw invalidArgument('filter', `${field} must be a string, a finite number, a boolean or null, got ${got}`);
  }
  return dialect.documentFieldEquals('doc', path, value as FieldValue, params.add);
}

function parseRow(row: { doc: string }): Json {
  return JSON.parse(row.doc) as Json;
}

/**
 * JSON documents by id in one table of the store's database: JSON1 text on
 * SQLite, jsonb with a GIN index on PostgreSQL. Works inside a handler's
 * transaction, or on a read-only `query` for `get`, `find` and `count`.
 *
 * ```ts
 * await documentsSql.put(tx, 'orders', 'order-1', { status: 'placed', customer: { city: 'Lyon' } });
 * const lyon = await documentsSql.find(tx, 'orders', { 'customer.city': 'Lyon', status: 'placed' });
 * ```
 */
export const documentsSql = {
  /** Creates the table (and on PostgreSQL its GIN index) unless it exists. */
  async create(tx: SqlTransaction, table: string): Promise<void> {
    for (const ddl of tx.dialect.documentTable(quoteTable(table), indexName(table, 'doc'))) await tx.execute(ddl);
  },

  /** Drops the table if it exists. */
  async drop(tx: SqlTransaction, table: string): Promise<void> {
    await tx.execute(`DROP TABLE IF EXISTS ${quoteTable(table)}`);
  },

  /** Stores the whole document under `id`, replacing any earlier one. */
  async put(tx: SqlTransaction, table: string, id: string, doc: Json): Promise<void> {
    const value = tx.dialect.jsonParam(tx.dialect.placeholder(2));
    const sql = `INSERT INTO ${quoteTable(table)} (id, doc) VALUES (${tx.dialect.placeholder(1)}, ${value})`;
    await tx.execute(`${sql} ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, [id, jsonText('doc', doc)]);
  },

  /**
   * Merges `fields` into the document's top level: each field replaces the old
   * value whole (nested objects are not merged), a field set to null is
   * removed. A missing document, or one that is not an object, becomes the
   * non-null fields.
   */
  async patch(tx: SqlTransaction, table: string, id: string, fields: Record<string, Json>): Promise<void> {
    const set = jsonText('fields', Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null)));
    const { sql, params } = tx.dialect.documentMerge(quoteTable(table), id, set, Object.keys(fields));
    await tx.execute(sql, params);
  },

  /** Deletes the document; true when it existed. */
  async remove(tx: SqlTransaction, table: string, id: string): Promise<boolean> {
    const { changes } = await tx.execute(`DELETE FROM ${quoteTable(table)} WHERE id = ${tx.dialect.placeholder(1)}`, [id]);
    return changes > 0;
  },

  /** The document, or undefined. */
  async get(tx: SqlTransaction, table: string, id: string): Promise<Json | undefined> {
    const sql = `SELECT ${tx.dialect.jsonAsText('doc')} FROM ${quoteTable(table)} WHERE id = ${tx.dialect.placeholder(1)}`;
    const rows = await tx.query<{ doc: string }>(sql, [id]);
    return rows[0] === undefined ? undefined : parseRow(rows[0]);
  },

  /**
   * The documents matching every filter entry, by id (code point order), a
   * page at a time: pass the last id seen as `after`. Default limit 100.
   */
  async find(
    tx: SqlTransaction,
    table: string,
    filter: DocumentFilter,
    options: { limit?: number; after?: string } = {},
  ): Promise<{ id: string; doc: Json }[]> {
    const name = quoteTable(table);
    const limit = pageLimit(options.limit);
    const params = new Params(tx.dialect);
    const where = Object.entries(filter).map(([field, value]) => condition(tx.dialect, params, field, value));
    if (options.after !== undefined) where.push(`id > ${params.add(options.after)}`);
    const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
    const sql = `SELECT id, ${tx.dialect.jsonAsText('doc')} FROM ${name}${clause} ORDER BY id LIMIT ${params.add(limit)}`;
    const rows = await tx.query<{ id: string; doc: string }>(sql, params.values);
    return rows.map((row) => ({ id: row.id, doc: parseRow(row) }));
  },

  /** How many documents the table holds. */
  async count(tx: SqlTransaction, table: string): Promise<number> {
    const rows = await tx.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${quoteTable(table)}`);
    return Number(rows[0]?.n ?? 0);
  },
};
