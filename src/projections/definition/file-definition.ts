import type { RecordedEvent } from '../../core/event.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../core/json-depth.js';
import { categoryOf } from '../../core/stream-name.js';
import { defineProjection, filterProblem, invalidProjection, type ProjectionDefinition, type ProjectionHandler } from './projection.js';
import { documentSink, type DocumentsContext } from '../sinks/documents.js';
import type { Json } from '../sinks/documents-sql.js';
import { lakeSink, writeEvent, type LakeContext } from '../sinks/lake.js';
import type { LakeColumnType } from '../sinks/lake-cells.js';
import { searchSink, type SearchContext } from '../sinks/search.js';
import { tableSink, type TableContext } from '../sinks/table.js';
import { KEY, upsertRow, deleteRow, type ColumnType } from '../sinks/table-rows.js';
import { quoteIdentifier } from '../sinks/sql-text.js';

/**
 * A projection from a file, for teams that do not write TypeScript: which
 * events, which fields go where, which key — the way a Kafka Connect sink is
 * configured. See docs/projections.md.
 */
export interface DeclaredProjection {
  name: string;
  version: number;
  sink: 'table' | 'documents' | 'search' | 'lake';
  categories?: string[];
  types?: string[];
  /** Tags an event must all carry to be projected, e.g. `["region:eu"]`. */
  tags?: string[];
  /** What identifies the row, document or entry: a path such as `stream` or `data.orderId`; default `stream`. */
  key?: string;
  /** Column (or field) name → path in the event: `data.…`, `metadata.…`, `stream`, `type`, `position`, `revision`, `recordedAt`, `category`, `id`. */
  fields?: Record<string, string>;
  /** Column types for a table or lake: text, integer, real, boolean, json, timestamp; default text. */
  columns?: Record<string, ColumnType>;
  /** Event types that remove the row, document or entry. */
  delete?: string[];
  /** A lake's root directory. */
  directory?: string;
  rollRows?: number;
  rollMs?: number;
}

const SINKS = ['table', 'documents', 'search', 'lake'] as const;
const TYPES: readonly ColumnType[] = ['text', 'integer', 'real', 'boolean', 'json', 'timestamp'];
// lower case, so a reader's unquoted column name folds to it on PostgreSQL; SQL keywords are fine, every name is quoted
const FIELD = /^[a-z_][a-z0-9_]{0,62}$/;
const LAKE_PARTITIONS = ['day', 'category'];
const PATH = /^(stream|type|position|revision|recordedAt|category|id|(data|metadata)(\.[A-Za-z_$][A-Za-z0-9_$-]*)+|data|metadata)$/;
const LAKE_TYPES: Record<ColumnType, LakeColumnType> = {
  text: 'VARCHAR',
  integer: 'BIGINT',
  real: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
  timestamp: 'TIMESTAMP',
};

/** Checks a parsed definition file and turns it into a projection; throws INVALID_PROJECTION naming the field. */
export function declaredProjection(file: unknown): ProjectionDefinition<unknown> {
  const declared = checkDeclared(file);
  const { name, version } = declared;
  const key = declared.key ?? 'stream';
  const fields = Object.entries(declared.fields ?? {});
  const columns = declared.columns ?? {};
  const deletes = new Set(declared.delete ?? []);
  const filter = {
    ...(declared.categories === undefined ? {} : { categories: declared.categories }),
    ...(declared.types === undefined ? {} : { types: [...new Set([...declared.types, ...deletes])] }),
    ...(declared.tags === undefined ? {} : { tags: declared.tags }),
  };
  const valuesOf = (event: RecordedEvent) => Object.fromEntries(fields.flatMap(([field, path]) => pick(event, path, field)));
  const idOf = (event: RecordedEvent) => {
    const id = valueAt(event, key);
    return id === undefined || id === null ? undefined : typeof id === 'string' ? id : JSON.stringify(id);
  };
  switch (declared.sink) {
    case 'table': {
      const handler: ProjectionHandler<TableContext> = async (event, { tx, table }) => {
        const id = idOf(event);
        if (id === undefined) return;
        if (deletes.has(event.type)) await deleteRow(tx, table, id);
        else await upsertRow(tx, table, id, valuesOf(event), columns);
      };
      const sink = tableSink({ schema: (table) => tableSchema(table, fields.map(([field]) => field), columns) });
      return defineProjection({ name, version, filter, sink, handlers: { '*': handler } }) as ProjectionDefinition<unknown>;
    }
    case 'documents': {
      const handler: ProjectionHandler<DocumentsContext> = async (event, documents) => {
        const id = idOf(event);
        if (id === undefined) return;
        if (deletes.has(event.type)) await documents.remove(id);
        else await documents.patch(id, (fields.length === 0 ? dataObject(event) : valuesOf(event)) as Record<string, Json>);
      };
      return defineProjection({ name, version, filter, sink: documentSink(), handlers: { '*': handler } }) as ProjectionDefinition<unknown>;
    }
    case 'search': {
      const handler: ProjectionHandler<SearchContext> = async (event, index) => {
        const id = idOf(event);
        if (id === undefined) return;
        if (deletes.has(event.type)) {
          await index.remove(id);
          return;
        }
        const text = Object.fromEntries(Object.entries(valuesOf(event)).map(([field, value]) => [field, typeof value === 'string' ? value : JSON.stringify(value)]));
        if (Object.keys(text).length > 0) await index.index(id, text);
      };
      return defineProjection({ name, version, filter, sink: searchSink(), handlers: { '*': handler } }) as ProjectionDefinition<unknown>;
    }
    case 'lake': {
      const lakeColumns = fields.map(([field]) => ({ name: field, type: LAKE_TYPES[columns[field] ?? 'text'] }));
      const sink = lakeSink({ directory: declared.directory!, columns: fields.length === 0 ? undefined : lakeColumns, rollRows: declared.rollRows, rollMs: declared.rollMs });
      const handler: ProjectionHandler<LakeContext> = fields.length === 0 ? writeEvent : (event, lake) => lake.write(valuesOf(event));
      return defineProjection({ name, version, filter, sink, handlers: { '*': handler } }) as ProjectionDefinition<unknown>;
    }
  }
}

function checkDeclared(file: unknown): DeclaredProjection {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw invalidProjection('?', 'file', 'must be a JSON object');
  // the definition is stored as JSON text: serialising a deeper one would overflow the stack
  if (exceedsJsonDepth(file)) throw invalidProjection('?', 'file', `must not nest objects and arrays more than ${MAX_JSON_DEPTH} deep`);
  const declared = file as DeclaredProjection;
  const name = typeof declared.name === 'string' ? declared.name : '?';
  if (!SINKS.includes(declared.sink)) throw invalidProjection(name, 'sink', `must be one of ${SINKS.join(', ')}`);
  for (const list of ['categories', 'types', 'tags', 'delete'] as const) {
    const value = declared[list];
    if (value !== undefined && (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))) {
      throw invalidProjection(name, list, 'must be a list of strings');
    }
  }
  const tagsProblem = declared.tags === undefined ? undefined : filterProblem({ tags: declared.tags });
  if (tagsProblem !== undefined) throw invalidProjection(name, 'tags', tagsProblem);
  if (declared.key !== undefined && (typeof declared.key !== 'string' || !PATH.test(declared.key))) throw invalidProjection(name, 'key', 'must be a path such as stream or data.orderId');
  const fields = declared.fields ?? {};
  if (typeof fields !== 'object' || fields === null) throw invalidProjection(name, 'fields', 'must map names to paths');
  for (const [field, path] of Object.entries(fields)) {
    if (!FIELD.test(field) || field === 'key') throw invalidProjection(name, `fields.${field}`, 'must be a lower-case name of letters, digits and _ (not "key")');
    if (typeof path !== 'string' || !PATH.test(path)) throw invalidProjection(name, `fields.${field}`, 'must be a path such as data.total, metadata.user, stream or type');
  }
  for (const [field, type] of Object.entries(declared.columns ?? {})) {
    if (!(field in fields)) throw invalidProjection(name, `columns.${field}`, 'names no field');
    if (!TYPES.includes(type)) throw invalidProjection(name, `columns.${field}`, `must be one of ${TYPES.join(', ')}`);
  }
  if (declared.sink === 'table' && Object.keys(fields).length === 0) throw invalidProjection(name, 'fields', 'must name at least one column of the table');
  if (declared.sink === 'search' && Object.keys(fields).length === 0) throw invalidProjection(name, 'fields', 'must name at least one text field');
  if (declared.sink === 'lake') {
    if (typeof declared.directory !== 'string' || declared.directory === '') throw invalidProjection(name, 'directory', "is the lake's root directory");
    for (const partition of LAKE_PARTITIONS) {
      if (partition in fields) throw invalidProjection(name, `fields.${partition}`, 'is a partition every lake row has already (day and category)');
    }
    for (const option of ['rollRows', 'rollMs'] as const) {
      const value = declared[option];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw invalidProjection(name, option, 'must be a positive integer');
    }
  }
  return declared;
}

function tableSchema(table: string, fields: readonly string[], columns: Record<string, ColumnType>): string[] {
  const definitions = fields.map((field) => `${quoteIdentifier(field)} ${SQL_TYPES[columns[field] ?? 'text']}`);
  return [`CREATE TABLE ${quoteIdentifier(table)} (${[`${KEY} TEXT PRIMARY KEY`, ...definitions].join(', ')})`];
}

// names both dialects read the intended way (SQLite by affinity)
const SQL_TYPES: Record<ColumnType, string> = {
  text: 'TEXT',
  integer: 'BIGINT',
  real: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  json: 'TEXT',
  timestamp: 'BIGINT',
};

/** The value at `path`, or nothing when the event does not have it (so an upsert leaves that column alone). */
function pick(event: RecordedEvent, path: string, field: string): [string, unknown][] {
  const value = valueAt(event, path);
  return value === undefined ? [] : [[field, value]];
}

function valueAt(event: RecordedEvent, path: string): unknown {
  switch (path) {
    case 'stream':
      return event.stream;
    case 'type':
      return event.type;
    case 'position':
      return event.position;
    case 'revision':
      return event.revision;
    case 'recordedAt':
      return event.recordedAtMillis;
    case 'category':
      return categoryOf(event.stream);
    case 'id':
      return event.id;
  }
  const [root, ...keys] = path.split('.');
  let value: unknown = root === 'data' ? event.data : event.metadata;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function dataObject(event: RecordedEvent): Record<string, unknown> {
  const data = event.data;
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : { value: data };
}
