import { isDeepStrictEqual } from 'node:util';
import {
  childNode,
  flatten,
  isSchemaObject,
  type RefResolver,
  type SchemaNode,
  type SchemaObject,
} from './schema-walk.js';

/**
 * One way an instance can satisfy the writer schema: every node holds, with
 * `anyOf`/`oneOf` already split into separate alternatives. Keywords the view
 * does not read only make the writer accept more, so ignoring them is safe.
 */
export interface WriterAlternative {
  nodes: SchemaNode[];
  /** Keys of the `anyOf`/`oneOf` keywords already split, so they are not split again. */
  split: Set<object>;
}

/** Past this many alternatives a writer's branchings are left unsplit: the writer then reads as accepting more. */
const MAX_ALTERNATIVES = 256;

export const JSON_TYPES = ['null', 'boolean', 'object', 'array', 'string', 'integer', 'number'] as const;
export type JsonType = (typeof JSON_TYPES)[number];

/** The alternatives of the writer conjunction `nodes` that can hold for some instance. */
export function writerAlternatives(nodes: readonly SchemaNode[], resolve: RefResolver): WriterAlternative[] {
  const start = expandAll(nodes, resolve);
  const alternatives = split({ nodes: start, split: new Set() }, resolve, { count: 1 });
  return alternatives.filter((alternative) => satisfiable(alternative));
}

function expandAll(nodes: readonly SchemaNode[], resolve: RefResolver): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const node of nodes) addNodes(out, flatten(node, resolve).nodes);
  return out;
}

function addNodes(into: SchemaNode[], nodes: readonly SchemaNode[]): void {
  for (const node of nodes) if (!into.some((n) => n.schema === node.schema)) into.push(node);
}

function split(alternative: WriterAlternative, resolve: RefResolver, budget: { count: number }): WriterAlternative[] {
  for (const node of alternative.nodes) {
    if (!isSchemaObject(node.schema)) continue;
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const branches = node.schema[keyword];
      const key = branchKey(node.schema, keyword);
      if (!Array.isArray(branches) || alternative.split.has(key)) continue;
      const done = new Set(alternative.split).add(key);
      if (budget.count + branches.length - 1 > MAX_ALTERNATIVES) {
        return split({ nodes: alternative.nodes, split: done }, resolve, budget);
      }
      budget.count += branches.length - 1;
      return branches.flatMap((branch) => {
        const nodes = [...alternative.nodes];
        addNodes(nodes, flatten(childNode(node, branch), resolve).nodes);
        return split({ nodes, split: done }, resolve, budget);
      });
    }
  }
  return [alternative];
}

const branchKeys = new WeakMap<SchemaObject, Record<string, object>>();

function branchKey(schema: SchemaObject, keyword: string): object {
  let keys = branchKeys.get(schema);
  if (keys === undefined) branchKeys.set(schema, (keys = {}));
  return (keys[keyword] ??= {});
}

function satisfiable(alternative: WriterAlternative): boolean {
  if (alternative.nodes.some((node) => node.schema === false)) return false;
  const types = writerTypes(alternative);
  return types === undefined || types.size > 0;
}

export function objects(alternative: WriterAlternative): SchemaObject[] {
  return alternative.nodes.map((node) => node.schema).filter(isSchemaObject);
}

/** The JSON type of a value, `integer` for whole numbers. */
export function typeOfValue(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** A `type` keyword as a set where `number` also holds `integer`; undefined when absent. */
export function declaredTypes(schema: SchemaObject): Set<JsonType> | undefined {
  const type = schema.type;
  const names = typeof type === 'string' ? [type] : Array.isArray(type) ? type : undefined;
  if (names === undefined) return undefined;
  const set = new Set<JsonType>();
  for (const name of names) {
    if (!(JSON_TYPES as readonly unknown[]).includes(name)) continue;
    set.add(name as JsonType);
    if (name === 'number') set.add('integer');
  }
  return set;
}

/** The types a writer alternative admits (`number` implies `integer`); undefined when any type goes. */
export function writerTypes(alternative: WriterAlternative): Set<JsonType> | undefined {
  let types: Set<JsonType> | undefined;
  for (const schema of objects(alternative)) {
    const declared = declaredTypes(schema);
    if (declared !== undefined) types = types === undefined ? declared : intersect(types, declared);
  }
  const values = writerValues(alternative);
  if (values !== undefined) {
    const fromValues = new Set<JsonType>();
    for (const value of values) {
      const type = typeOfValue(value);
      if (types === undefined || types.has(type)) fromValues.add(type);
    }
    types = fromValues;
  }
  return types;
}

function intersect<T>(a: Set<T>, b: Set<T>): Set<T> {
  return new Set([...a].filter((item) => b.has(item)));
}

/** The only values a writer alternative admits, from `enum` and `const`; undefined when not limited so. */
export function writerValues(alternative: WriterAlternative): unknown[] | undefined {
  let values: unknown[] | undefined;
  for (const schema of objects(alternative)) {
    const own = schemaValues(schema);
    if (own === undefined) continue;
    values = values === undefined ? own : values.filter((value) => own.some((other) => isDeepStrictEqual(value, other)));
  }
  return values;
}

/** The values a single schema is limited to by `enum` and `const`. */
export function schemaValues(schema: SchemaObject): unknown[] | undefined {
  let values: unknown[] | undefined = Array.isArray(schema.enum) ? [...(schema.enum as unknown[])] : undefined;
  if ('const' in schema) {
    const only = schema.const;
    values = values === undefined || values.some((value) => isDeepStrictEqual(value, only)) ? [only] : [];
  }
  return values;
}

/** A bound on numbers or sizes; `exclusive` when the bound itself is not admitted. */
export interface Bound {
  value: number;
  exclusive: boolean;
}

/** The tightest of `schema`'s inclusive and exclusive bounds in one direction. */
export function ownBound(schema: SchemaObject, inclusive: string, exclusive: string | undefined, lower: boolean): Bound | undefined {
  const candidates: Bound[] = [];
  if (typeof schema[inclusive] === 'number') candidates.push({ value: schema[inclusive], exclusive: false });
  if (exclusive !== undefined && typeof schema[exclusive] === 'number') candidates.push({ value: schema[exclusive], exclusive: true });
  return candidates.reduce<Bound | undefined>((best, bound) => (best === undefined || tighter(bound, best, lower) ? bound : best), undefined);
}

/** The tightest bound any node of the alternative sets. */
export function writerBound(alternative: WriterAlternative, inclusive: string, exclusive: string | undefined, lower: boolean): Bound | undefined {
  let best: Bound | undefined;
  for (const schema of objects(alternative)) {
    const bound = ownBound(schema, inclusive, exclusive, lower);
    if (bound !== undefined && (best === undefined || tighter(bound, best, lower))) best = bound;
  }
  return best;
}

/** Whether `a` admits less than `b` (a lower bound when `lower`, else an upper one). */
export function tighter(a: Bound, b: Bound, lower: boolean): boolean {
  if (a.value !== b.value) return lower ? a.value > b.value : a.value < b.value;
  return a.exclusive && !b.exclusive;
}

/** The names every instance of the alternative must hold. */
export function writerRequired(alternative: WriterAlternative): Set<string> {
  const names = new Set<string>();
  for (const schema of objects(alternative)) {
    if (Array.isArray(schema.required)) for (const name of schema.required) if (typeof name === 'string') names.add(name);
  }
  return names;
}

/** Whether `pattern` (an ECMAScript regex, as JSON Schema has it) matches `name`; an invalid one matches nothing. */
export function patternMatches(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(name);
  } catch {
    return false;
  }
}

/** The subschemas a member called `name` must satisfy under one schema node. */
export function memberNodes(node: SchemaNode, name: string): SchemaNode[] {
  const schema = node.schema;
  if (!isSchemaObject(schema)) return [node];
  const found: SchemaNode[] = [];
  const properties = schema.properties;
  if (isSchemaObject(properties) && Object.hasOwn(properties, name)) found.push(childNode(node, properties[name]));
  const patterns = schema.patternProperties;
  if (isSchemaObject(patterns)) {
    for (const [pattern, sub] of Object.entries(patterns)) if (patternMatches(pattern, name)) found.push(childNode(node, sub));
  }
  if (found.length === 0) found.push(childNode(node, schema.additionalProperties ?? true));
  return found;
}

/** Whether the member called `name` is named by `properties` or a pattern of any node: declared rather than additional. */
export function declaresMember(nodes: readonly SchemaNode[], name: string): boolean {
  return nodes.some((node) => {
    const schema = node.schema;
    if (!isSchemaObject(schema)) return false;
    if (isSchemaObject(schema.properties) && Object.hasOwn(schema.properties, name)) return true;
    return isSchemaObject(schema.patternProperties) && Object.keys(schema.patternProperties).some((p) => patternMatches(p, name));
  });
}

/** The subschemas the element at `index` of an array must satisfy under one node (`items` beyond `prefixItems`). */
export function elementNodes(node: SchemaNode, index: number): SchemaNode[] {
  const schema = node.schema;
  if (!isSchemaObject(schema)) return [node];
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  return [childNode(node, index < prefix.length ? prefix[index] : (schema.items ?? true))];
}

export function prefixLength(schema: unknown): number {
  return isSchemaObject(schema) && Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0;
}
