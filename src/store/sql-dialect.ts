/** One SQL statement and the values bound to its placeholders, in order. */
export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Binds one more value to the statement being written and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** A value a document field can be compared with. */
export type FieldValue = string | number | boolean | null;

/** What a full-text index keeps of one entry: `title` weighs more than `body`, `fields` (JSON text) comes back with each hit. */
export interface FullTextEntry {
  id: string;
  title: string;
  body: string;
  fields: string;
}

/**
 * What differs between the SQL databases a store keeps its tables in, as the
 * SQL each one wants: code above the backends asks its transaction's dialect
 * instead of comparing names. Identifiers are double-quoted and upserts are
 * `INSERT … ON CONFLICT … DO UPDATE SET c = excluded.c` on every dialect, so
 * only the upserts that differ are here. Every backend with SQL access
 * implements it once, in its own folder.
 *
 * ```ts
 * await tx.execute(tx.dialect.placeholders('INSERT INTO totals (id, n) VALUES (?, ?)'), [id, n]);
 * ```
 */
export interface SqlDialect {
  /** Which database this is, for messages and the rare reader who must know: its backend's folder name (sqlite, postgres). */
  readonly name: string;
  /** The placeholder of the `n`th bound value, counted from 1: `?` or `$n`. */
  placeholder(n: number): string;
  /** A statement written with `?` placeholders, in this database's placeholders; every `?` counts, even one inside quotes. */
  placeholders(sql: string): string;
  /** A boolean as a bound value. */
  booleanParam(value: boolean): unknown;
  /** `select` taking a lock on the rows it reads until the transaction ends, where writers can run side by side. */
  selectForUpdate(select: string): string;

  /** A query with a row when a table or view `name` exists in the store's schema. */
  tableExistsQuery(name: string): SqlStatement;
  /** A query with a row when anything in the store's schema goes by `name` as the database compares names. */
  nameTakenQuery(name: string): SqlStatement;
  /** A query of rows `{ name }`: the columns of table `name`'s primary key, in key order; none when it has no primary key. */
  primaryKeyQuery(name: string): SqlStatement;

  /** The DDL of a documents table `(id, doc)` keyed by text in code point order, with `index` answering `documentFieldEquals`. Names come quoted. */
  documentTable(table: string, index: string): string[];
  /** A bound JSON text (`placeholder`) as a document value. */
  jsonParam(placeholder: string): string;
  /** A select-list item reading the JSON `column` as text under its own name. */
  jsonAsText(column: string): string;
  /** A condition: the field at `path` of the JSON `column` equals `value`, JSON type included; null also matches a missing field. */
  documentFieldEquals(column: string, path: readonly string[], value: FieldValue, bind: Bind): string;
  /**
   * The upsert of documents table `table` that removes the `removed` keys from document `id`'s top level, then adds those
   * of the JSON object `set`; a missing document, or one that is not an object, becomes `set`.
   */
  documentMerge(table: string, id: string, set: string, removed: readonly string[]): SqlStatement;

  /** The DDL of a full-text index `table` of {@link FullTextEntry}, with `index` where it needs one. Names come quoted. */
  fullTextTable(table: string, index: string): string[];
  /** The statements that index `entry`, replacing what was indexed under its id. */
  fullTextIndex(table: string, entry: FullTextEntry): SqlStatement[];
  /** The statement that removes the entry `id`. */
  fullTextRemove(table: string, id: string): SqlStatement;
  /**
   * The query of rows `{ id, fields, score }` matching what a person typed, best first (higher `score` is better), at
   * most `limit`; no input is a syntax error. Undefined when nothing is left to look for.
   */
  fullTextSearch(table: string, terms: string, limit: number): SqlStatement | undefined;
}
