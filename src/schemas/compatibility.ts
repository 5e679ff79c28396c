import { isDeepStrictEqual } from 'node:util';
import { type BreakKind, type Compatibility, type JsonSchema, type SchemaBreak } from '../store/schema-registry.js';
import { forwardMessage } from './break-wording.js';
import {
  boundBreaks,
  enumBreaks,
  numberBreaks,
  type ReaderBreak,
  sameTextRule,
  stringBreaks,
  typeBreaks,
  valueBreaks,
} from './scalar-breaks.js';
import { childNode, flatten, isSchemaObject, pointer, type RefResolver, type SchemaNode, type SchemaObject, where } from './schema-walk.js';
import {
  declaresMember,
  elementNodes,
  memberNodes,
  objects,
  prefixLength,
  type WriterAlternative,
  writerAlternatives,
  writerBound,
  writerRequired,
  writerValues,
} from './writer-view.js';

export type { RefResolver } from './schema-walk.js';

/**
 * The breaks of `candidate` (the version about to be registered) against the registered versions
 * (ascending by version) that `compatibility` checks: the latest only, or all of them for the
 * _TRANSITIVE forms; none for NONE. BACKWARD: the candidate must read every event the older
 * version accepts (direction 'backward'); FORWARD: the older version must read every event the
 * candidate accepts ('forward'); FULL both. A break's `change` is what the reader lacks
 * (a forward `field-removed` is a field the candidate added that the older version's closed
 * model refuses); its message says what the candidate changed.
 *
 * ```ts
 * const v1 = { type: 'object', properties: { amount: { type: 'number' } } };
 * const v2 = { type: 'object', properties: { amount: { type: 'integer' } } };
 * compatibilityBreaks(v2, [{ version: 1, schema: v1 }], 'BACKWARD', () => undefined);
 * // [{ version: 1, direction: 'backward', path: '/amount', change: 'type-narrowed',
 * //    message: 'type of /amount narrowed from number to integer' }]
 * ```
 */
export function compatibilityBreaks(
  candidate: JsonSchema,
  registered: readonly { version: number; schema: JsonSchema }[],
  compatibility: Compatibility,
  resolve: RefResolver,
): SchemaBreak[] {
  if (compatibility === 'NONE') return [];
  const against = compatibility.endsWith('_TRANSITIVE') ? registered : registered.slice(-1);
  const backward = compatibility.startsWith('BACKWARD') || compatibility.startsWith('FULL');
  const forward = compatibility.startsWith('FORWARD') || compatibility.startsWith('FULL');
  const breaks: SchemaBreak[] = [];
  for (const { version, schema } of against) {
    if (backward) for (const found of readerBreaks(candidate, schema, resolve)) breaks.push({ version, direction: 'backward', ...found });
    if (forward) {
      for (const found of readerBreaks(schema, candidate, resolve)) breaks.push({ version, direction: 'forward', ...found, message: forwardMessage(found, version) });
    }
  }
  return breaks;
}

/**
 * What a reader schema would refuse of what a writer schema accepts, found structurally
 * (conservative: when unsure, report a break rather than miss one). Paths point into
 * instances; `*` stands for every further member of an object or element of an array.
 *
 * ```ts
 * readerBreaks(
 *   { type: 'object', required: ['currency'], properties: { currency: { type: 'string' } } },
 *   { type: 'object', properties: { currency: { type: 'string' } } },
 *   () => undefined,
 * ); // [{ path: '/currency', change: 'required-added', message: 'required field /currency added' }]
 * ```
 */
export function readerBreaks(reader: JsonSchema, writer: JsonSchema, resolve: RefResolver): { path: string; change: BreakKind; message: string }[] {
  const found = new ReaderCheck(resolve).cover({ schema: reader, root: reader }, [{ schema: writer, root: writer }], '');
  const seen = new Set<string>();
  return found.filter((item) => {
    const key = `${item.path}\u0000${item.change}\u0000${item.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One comparison of a reader against a writer, with the pairs under way so recursive schemas end. */
class ReaderCheck {
  private readonly underWay = new Set<string>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(private readonly resolve: RefResolver) {}

  /** Every instance of the writer conjunction `writer` must be one `reader` accepts. */
  cover(reader: SchemaNode, writer: readonly SchemaNode[], path: string): ReaderBreak[] {
    const alternatives = writerAlternatives(writer, this.resolve);
    if (alternatives.length === 0) return [];
    return this.coverAlternatives(reader, alternatives, path);
  }

  private coverAlternatives(reader: SchemaNode, alternatives: readonly WriterAlternative[], path: string): ReaderBreak[] {
    const { nodes, unresolved } = flatten(reader, this.resolve);
    const out: ReaderBreak[] = unresolved.map((ref) => ({
      path,
      change: 'schema-narrowed',
      message: `$ref ${ref} at ${where(path)} names no known schema`,
    }));
    for (const alternative of alternatives) for (const node of nodes) out.push(...this.node(node, alternative, path));
    return out;
  }

  private node(reader: SchemaNode, writer: WriterAlternative, path: string): ReaderBreak[] {
    const key = `${this.id(reader.schema)}|${writer.nodes.map((node) => this.id(node.schema)).sort().join(',')}`;
    if (this.underWay.has(key)) return [];
    this.underWay.add(key);
    try {
      return this.nodeBreaks(reader, writer, path);
    } finally {
      this.underWay.delete(key);
    }
  }

  private id(schema: JsonSchema): string {
    if (typeof schema === 'boolean') return String(schema);
    let id = this.ids.get(schema);
    if (id === undefined) this.ids.set(schema, (id = this.nextId++));
    return String(id);
  }

  private nodeBreaks(reader: SchemaNode, writer: WriterAlternative, path: string): ReaderBreak[] {
    const schema = reader.schema;
    if (schema === true) return [];
    if (schema === false) return [{ path, change: 'schema-narrowed', message: `${where(path)} no longer accepts any value` }];
    const out: ReaderBreak[] = [];
    const live = typeBreaks(schema, writer, path, out);
    if (live.size === 0) return out;
    const values = writerValues(writer);
    if (values !== undefined && values.every((value) => typeof value !== 'object' || value === null)) {
      out.push(...valueBreaks(schema, values, live, path), ...sameTextRule(schema, writer, 'format', path));
    } else {
      out.push(...enumBreaks(schema, values, path));
      if (live.has('integer')) out.push(...numberBreaks(schema, writer, live, path));
      if (live.has('string')) out.push(...stringBreaks(schema, writer, path));
      if (live.has('array')) out.push(...this.arrayBreaks(reader, schema, writer, path));
      if (live.has('object')) out.push(...this.objectBreaks(reader, schema, writer, path));
    }
    out.push(...this.branchBreaks(reader, schema, writer, path), ...guardBreaks(schema, writer, path));
    return out;
  }

  private objectBreaks(reader: SchemaNode, schema: SchemaObject, writer: WriterAlternative, path: string): ReaderBreak[] {
    const out: ReaderBreak[] = [];
    const required = writerRequired(writer);
    const readerRequired = stringList(schema.required);
    const names = new Set<string>([...Object.keys(objectOf(schema.properties)), ...readerRequired]);
    for (const other of objects(writer)) for (const name of Object.keys(objectOf(other.properties))) names.add(name);
    for (const name of names) {
      const member = pointer(path, name);
      if (readerRequired.includes(name) && !required.has(name)) {
        out.push({ path: member, change: 'required-added', message: `required field ${member} added` });
      }
      out.push(...this.memberBreaks(reader, writer, name, member));
    }
    out.push(...this.additionalBreaks(reader, schema, writer, path));
    out.push(
      ...boundBreaks(schema, writer, { inclusive: 'minProperties', lower: true, floor: 0 }, path),
      ...boundBreaks(schema, writer, { inclusive: 'maxProperties', lower: false }, path),
      ...sameKeyword(schema, writer, 'propertyNames', path, 'constraint-tightened', `names of the fields of ${where(path)} restricted`),
      ...sameKeyword(schema, writer, 'unevaluatedProperties', path, 'additional-properties-closed', `unevaluated fields of ${where(path)} restricted`),
    );
    for (const [name, needs] of Object.entries(objectOf(schema.dependentRequired))) {
      for (const need of stringList(needs)) {
        const implied = required.has(need) || objects(writer).some((other) => stringList(objectOf(other.dependentRequired)[name]).includes(need));
        if (!implied) {
          const member = pointer(path, need);
          out.push({ path: member, change: 'required-added', message: `field ${member} required when ${pointer(path, name)} is present` });
        }
      }
    }
    for (const [name, dependent] of Object.entries(objectOf(schema.dependentSchemas))) {
      if (!objects(writer).some((other) => isDeepStrictEqual(objectOf(other.dependentSchemas)[name], dependent))) {
        out.push({ path, change: 'schema-narrowed', message: `schema of ${where(path)} when ${pointer(path, name)} is present restricted` });
      }
    }
    return out;
  }

  /** One member the reader or writer names: removed, added to an open model, or compared. */
  private memberBreaks(reader: SchemaNode, writer: WriterAlternative, name: string, member: string): ReaderBreak[] {
    const written = writer.nodes.flatMap((node) => memberNodes(node, name));
    if (written.some((node) => node.schema === false)) return [];
    const read = memberNodes(reader, name);
    const declared = declaresMember(writer.nodes, name);
    if (read.some((node) => node.schema === false)) {
      return declared
        ? [{ path: member, change: 'field-removed', message: `field ${member} removed` }]
        : [{ path: member, change: 'additional-properties-closed', message: `field ${member} no longer accepted` }];
    }
    const found = read.flatMap((node) => this.cover(node, written, member));
    if (found.length > 0 && !declared && written.every((node) => node.schema === true)) {
      return [{ path: member, change: 'field-added', message: `field ${member} added to an open content model, where older events may hold any value` }];
    }
    return found;
  }

  /** Members neither side names: the reader's `additionalProperties` and patterns against the writer's. */
  private additionalBreaks(reader: SchemaNode, schema: SchemaObject, writer: WriterAlternative, path: string): ReaderBreak[] {
    const out: ReaderBreak[] = [];
    const any = pointer(path, '*');
    const readerRest = childNode(reader, schema.additionalProperties ?? true);
    const writerRest = writer.nodes.map((node) => (isSchemaObject(node.schema) ? childNode(node, node.schema.additionalProperties ?? true) : node));
    if (!writerRest.some((node) => node.schema === false)) {
      if (readerRest.schema === false) {
        out.push({ path, change: 'additional-properties-closed', message: `${where(path)} no longer accepts fields beyond those declared` });
      } else {
        const found = this.cover(readerRest, writerRest, any);
        const open = writerRest.every((node) => node.schema === true);
        out.push(...(found.length > 0 && open ? [{ path, change: 'additional-properties-closed' as const, message: `additional fields of ${where(path)} restricted` }] : found));
      }
    }
    const readerPatterns = objectOf(schema.patternProperties);
    for (const [pattern, sub] of Object.entries(readerPatterns)) {
      const written = writer.nodes.map((node) => {
        if (!isSchemaObject(node.schema)) return node;
        const theirs = objectOf(node.schema.patternProperties);
        if (Object.hasOwn(theirs, pattern)) return childNode(node, theirs[pattern]);
        // a name matching this pattern may match another of the writer's, whose schema is unknown here
        return childNode(node, Object.keys(theirs).length === 0 ? (node.schema.additionalProperties ?? true) : true);
      });
      out.push(...this.cover(childNode(reader, sub), written, any));
    }
    for (const node of writer.nodes) {
      if (!isSchemaObject(node.schema)) continue;
      for (const [pattern, sub] of Object.entries(objectOf(node.schema.patternProperties))) {
        if (Object.hasOwn(readerPatterns, pattern) || sub === false) continue;
        if (readerRest.schema === false) {
          out.push({ path, change: 'additional-properties-closed', message: `fields of ${where(path)} matching ${pattern} no longer accepted` });
        } else {
          out.push(...this.cover(readerRest, [childNode(node, sub)], any));
        }
      }
    }
    return out;
  }

  private arrayBreaks(reader: SchemaNode, schema: SchemaObject, writer: WriterAlternative, path: string): ReaderBreak[] {
    const out: ReaderBreak[] = [
      ...boundBreaks(schema, writer, { inclusive: 'minItems', lower: true, floor: 0 }, path),
      ...boundBreaks(schema, writer, { inclusive: 'maxItems', lower: false }, path),
      ...sameKeyword(schema, writer, 'unevaluatedItems', path, 'items-changed', `unevaluated items of ${where(path)} restricted`),
    ];
    if (schema.uniqueItems === true && !objects(writer).some((other) => other.uniqueItems === true)) {
      out.push({ path, change: 'constraint-tightened', message: `items of ${where(path)} must now be unique` });
    }
    if (schema.contains !== undefined) {
      const rule = (s: SchemaObject) => [s.contains, s.minContains, s.maxContains];
      if (!objects(writer).some((other) => isDeepStrictEqual(rule(other), rule(schema)))) {
        out.push({ path, change: 'constraint-tightened', message: `contains of ${where(path)} changed` });
      }
    }
    const longest = writerBound(writer, 'maxItems', undefined, false)?.value ?? Infinity;
    const fixed = Math.max(prefixLength(schema), ...writer.nodes.map((node) => prefixLength(node.schema)));
    for (let index = 0; index <= fixed && index < longest; index++) {
      const written = writer.nodes.flatMap((node) => elementNodes(node, index));
      if (written.some((node) => node.schema === false)) break;
      const [read] = elementNodes(reader, index);
      if (read!.schema === false) {
        out.push({ path, change: 'items-changed', message: `${where(path)} no longer accepts more than ${index} items` });
        break;
      }
      out.push(...this.cover(read!, written, pointer(path, index === fixed ? '*' : index)));
    }
    return out;
  }

  /** A reader's `anyOf`/`oneOf`: each writer alternative must fall wholly in one branch (in exactly one, for `oneOf`). */
  private branchBreaks(reader: SchemaNode, schema: SchemaObject, writer: WriterAlternative, path: string): ReaderBreak[] {
    const out: ReaderBreak[] = [];
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const branches = schema[keyword];
      if (!Array.isArray(branches)) continue;
      for (const piece of byValue(writer)) {
        const results = branches.map((branch) => this.coverAlternatives(childNode(reader, branch), [piece], path));
        const covering = results.findIndex((found) => found.length === 0);
        if (covering < 0) {
          const closest = results.reduce((best, found) => (found.length < best.length ? found : best), results[0] ?? []);
          const hint = closest[0] === undefined ? '' : ` (closest: ${closest[0].message})`;
          out.push({ path, change: 'schema-narrowed', message: `no ${keyword} branch of ${where(path)} accepts everything the other schema allows${hint}` });
        } else if (keyword === 'oneOf' && !objects(piece).some((other) => isDeepStrictEqual(other.oneOf, branches))) {
          // oneOf refuses a value two branches accept, so every other branch must be shown apart from the writer's values
          const overlapping = branches.some((branch, index) => index !== covering && !disjoint(childNode(reader, branch), piece, this.resolve));
          if (overlapping) out.push({ path, change: 'schema-narrowed', message: `oneOf branches of ${where(path)} may both accept a value, which oneOf refuses` });
        }
      }
    }
    return out;
  }
}

/** A writer limited to a few values, one alternative per value: each value may fall in a different branch. */
function byValue(writer: WriterAlternative): WriterAlternative[] {
  const values = writerValues(writer);
  if (values === undefined || values.length < 2) return [writer];
  return values.map((value) => ({ nodes: [...writer.nodes, { schema: { const: value }, root: true }], split: writer.split }));
}

/** Whether no instance of `writer` can satisfy `branch`, told apart by type or by values, of the whole or of a required member. */
function disjoint(branch: SchemaNode, writer: WriterAlternative, resolve: RefResolver): boolean {
  const { nodes } = flatten(branch, resolve);
  const joined = writerAlternatives([...writer.nodes, ...nodes], resolve);
  if (joined.length === 0) return true;
  return joined.every((alternative) => {
    const required = writerRequired(alternative);
    return [...required].some((name) => writerAlternatives(alternative.nodes.flatMap((node) => memberNodes(node, name)), resolve).length === 0);
  });
}

/** `not` and `if`/`then`/`else` are compared whole: the writer must have had the same. */
function guardBreaks(schema: SchemaObject, writer: WriterAlternative, path: string): ReaderBreak[] {
  const out = sameKeyword(schema, writer, 'not', path, 'schema-narrowed', `${where(path)} gained or changed a not condition`);
  if (schema.if !== undefined) {
    const rule = (s: SchemaObject) => [s.if, s.then, s.else];
    if (!objects(writer).some((other) => isDeepStrictEqual(rule(other), rule(schema)))) {
      out.push({ path, change: 'schema-narrowed', message: `condition (if/then/else) of ${where(path)} changed` });
    }
  }
  return out;
}

/** A keyword the reader sets (other than to `true`) holds only when some writer schema has exactly the same. */
function sameKeyword(schema: SchemaObject, writer: WriterAlternative, keyword: string, path: string, change: BreakKind, message: string): ReaderBreak[] {
  const own = schema[keyword];
  if (own === undefined || own === true) return [];
  if (objects(writer).some((other) => isDeepStrictEqual(other[keyword], own))) return [];
  return [{ path, change, message }];
}

function objectOf(value: unknown): SchemaObject {
  return isSchemaObject(value) ? value : {};
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
