import { isDeepStrictEqual } from 'node:util';
import { type BreakKind } from '../store/schema-registry.js';
import { type SchemaObject, where } from './schema-walk.js';
import {
  type Bound,
  declaredTypes,
  JSON_TYPES,
  type JsonType,
  objects,
  ownBound,
  schemaValues,
  tighter,
  typeOfValue,
  type WriterAlternative,
  writerBound,
  writerTypes,
} from './writer-view.js';

/** One thing a reader schema refuses of what a writer schema accepts. */
export interface ReaderBreak {
  path: string;
  change: BreakKind;
  message: string;
}

/** The reader's `type` against the writer's; returns the writer types the reader still accepts. */
export function typeBreaks(reader: SchemaObject, writer: WriterAlternative, path: string, out: ReaderBreak[]): Set<JsonType> {
  const written = writerTypes(writer);
  const from = written ?? new Set<JsonType>(JSON_TYPES);
  const read = declaredTypes(reader);
  if (read === undefined) return from;
  const lost = [...from].filter((type) => !read.has(type));
  if (lost.length > 0) {
    const narrowed = [...read].every((type) => from.has(type));
    const fromName = written === undefined ? 'any type' : typeNames(from);
    out.push({
      path,
      change: narrowed ? 'type-narrowed' : 'type-changed',
      message: `type of ${where(path)} ${narrowed ? 'narrowed' : 'changed'} from ${fromName} to ${typeNames(read)}`,
    });
  }
  return new Set([...from].filter((type) => read.has(type)));
}

function typeNames(types: Set<JsonType>): string {
  const names = [...types].filter((type) => !(type === 'integer' && types.has('number')));
  return names.length === 0 ? 'nothing' : names.join(' or ');
}

/** The reader's `enum`/`const` against writer values that are objects or arrays, or against no values at all. */
export function enumBreaks(reader: SchemaObject, values: readonly unknown[] | undefined, path: string): ReaderBreak[] {
  const allowed = schemaValues(reader);
  if (allowed === undefined) return [];
  if (values === undefined) {
    const list = allowed.map((value) => JSON.stringify(value)).join(', ');
    return [{ path, change: 'constraint-tightened', message: `${where(path)} limited to the values ${list || '(none)'}` }];
  }
  return values
    .filter((value) => !allowed.some((other) => isDeepStrictEqual(value, other)))
    .map((value) => ({ path, change: 'enum-value-removed', message: `enum value ${JSON.stringify(value)} of ${where(path)} removed` }));
}

/** Each of the writer's scalar values (of a type the reader still accepts) checked against the reader's keywords. */
export function valueBreaks(reader: SchemaObject, values: readonly unknown[], live: Set<JsonType>, path: string): ReaderBreak[] {
  const allowed = schemaValues(reader);
  const out: ReaderBreak[] = [];
  for (const value of values) {
    if (!live.has(typeOfValue(value))) continue;
    const text = JSON.stringify(value);
    if (allowed !== undefined && !allowed.some((other) => isDeepStrictEqual(value, other))) {
      out.push({ path, change: 'enum-value-removed', message: `enum value ${text} of ${where(path)} removed` });
      continue;
    }
    const reason = scalarRefusal(reader, value);
    if (reason !== undefined) {
      out.push({ path, change: 'constraint-tightened', message: `value ${text} of ${where(path)} no longer accepted: ${reason}` });
    }
  }
  return out;
}

function scalarRefusal(reader: SchemaObject, value: unknown): string | undefined {
  if (typeof value === 'number') {
    const lower = ownBound(reader, 'minimum', 'exclusiveMinimum', true);
    if (lower !== undefined && outside(value, lower, true)) return `below ${describeBound(lower, 'minimum')}`;
    const upper = ownBound(reader, 'maximum', 'exclusiveMaximum', false);
    if (upper !== undefined && outside(value, upper, false)) return `above ${describeBound(upper, 'maximum')}`;
    if (typeof reader.multipleOf === 'number' && !isMultiple(value, reader.multipleOf)) return `not a multiple of ${reader.multipleOf}`;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof reader.minLength === 'number' && length < reader.minLength) return `shorter than minLength ${reader.minLength}`;
    if (typeof reader.maxLength === 'number' && length > reader.maxLength) return `longer than maxLength ${reader.maxLength}`;
    if (typeof reader.pattern === 'string' && !safeTest(reader.pattern, value)) return `does not match pattern ${reader.pattern}`;
  }
  return undefined;
}

function outside(value: number, bound: Bound, lower: boolean): boolean {
  if (value === bound.value) return bound.exclusive;
  return lower ? value < bound.value : value > bound.value;
}

function describeBound(bound: Bound, inclusive: string): string {
  const name = bound.exclusive ? `exclusive${inclusive[0]!.toUpperCase()}${inclusive.slice(1)}` : inclusive;
  return `${name} ${bound.value}`;
}

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}

function isMultiple(value: number, divisor: number): boolean {
  const quotient = value / divisor;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

/**
 * One pair of bound keywords (`minimum`/`exclusiveMinimum`, `maxLength`, …):
 * the reader's must admit at least what the writer's does. `floor` is the bound
 * a size has without any keyword (0 items, 0 characters).
 */
export function boundBreaks(
  reader: SchemaObject,
  writer: WriterAlternative,
  keywords: { inclusive: string; exclusive?: string; lower: boolean; floor?: number },
  path: string,
): ReaderBreak[] {
  const { inclusive, exclusive, lower, floor } = keywords;
  const read = ownBound(reader, inclusive, exclusive, lower);
  if (read === undefined) return [];
  const written = writerBound(writer, inclusive, exclusive, lower) ?? (floor === undefined ? undefined : { value: floor, exclusive: false });
  if (written !== undefined && !tighter(read, written, lower)) return [];
  const name = read.exclusive && exclusive !== undefined ? exclusive : inclusive;
  const change = written === undefined ? `set to ${read.value}` : `tightened from ${formatBound(written)} to ${formatBound(read)}`;
  return [{ path, change: 'constraint-tightened', message: `${name} of ${where(path)} ${change}` }];
}

function formatBound(bound: Bound): string {
  return bound.exclusive ? `${bound.value} (exclusive)` : String(bound.value);
}

/** `minimum`, `maximum`, their exclusive forms and `multipleOf`. */
export function numberBreaks(reader: SchemaObject, writer: WriterAlternative, live: Set<JsonType>, path: string): ReaderBreak[] {
  const out = [
    ...boundBreaks(reader, writer, { inclusive: 'minimum', exclusive: 'exclusiveMinimum', lower: true }, path),
    ...boundBreaks(reader, writer, { inclusive: 'maximum', exclusive: 'exclusiveMaximum', lower: false }, path),
  ];
  const divisor = reader.multipleOf;
  if (typeof divisor === 'number') {
    const wholeOnly = !live.has('number') && isMultiple(1, divisor);
    const implied = objects(writer).some((schema) => typeof schema.multipleOf === 'number' && isMultiple(schema.multipleOf, divisor));
    if (!wholeOnly && !implied) out.push({ path, change: 'constraint-tightened', message: `multipleOf of ${where(path)} set to ${divisor}` });
  }
  return out;
}

/** `minLength`, `maxLength`, `pattern` and `format`: a pattern or format must be one the writer already had. */
export function stringBreaks(reader: SchemaObject, writer: WriterAlternative, path: string): ReaderBreak[] {
  return [
    ...boundBreaks(reader, writer, { inclusive: 'minLength', lower: true, floor: 0 }, path),
    ...boundBreaks(reader, writer, { inclusive: 'maxLength', lower: false }, path),
    ...sameTextRule(reader, writer, 'pattern', path),
    ...sameTextRule(reader, writer, 'format', path),
  ];
}

/** A reader's `pattern` or `format` holds for the writer's values only when the writer had the same one. */
export function sameTextRule(reader: SchemaObject, writer: WriterAlternative, keyword: 'pattern' | 'format', path: string): ReaderBreak[] {
  const own = reader[keyword];
  if (typeof own !== 'string') return [];
  const theirs = objects(writer).map((schema) => schema[keyword]).filter((value) => typeof value === 'string');
  if (theirs.includes(own)) return [];
  const change = theirs.length === 0 ? `set to ${own}` : `changed from ${theirs.join(', ')} to ${own}`;
  return [{ path, change: 'constraint-tightened', message: `${keyword} of ${where(path)} ${change}` }];
}
