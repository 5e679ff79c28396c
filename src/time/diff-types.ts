/** How a row, document or entry is told apart from the others: a table's key columns and their values, a document's or entry's id, or null for a lake row (rows are a multiset). */
export type DiffKey = Record<string, unknown> | string | null;

/** A row, document or entry in one build and not the other. */
export interface DiffEntry {
  key: DiffKey;
  /** The whole row (column → value), document, entry's fields, or lake row. */
  value: unknown;
}

/** A row, document or entry in both builds, with other content. */
export interface DiffChange {
  key: DiffKey;
  before: unknown;
  after: unknown;
}

/**
 * What differs between two builds of a projection, keyed by the projection's
 * key: `added` is in the second build only, `removed` in the first only,
 * `changed` in both with other content. Each list is in key order.
 */
export interface ProjectionDiff {
  projection: string;
  sink: 'table' | 'documents' | 'search' | 'lake';
  /** What keys the rows: a table's primary-key columns (`['*']`, every column, when it has none), `['id']`, or null for a lake. */
  keyedBy: string[] | null;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffChange[];
  /** True when a lake had more differences than a lake query returns (100,000 rows each way). */
  truncated: boolean;
}
