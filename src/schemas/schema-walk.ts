import { type JsonSchema } from '../store/schema-registry.js';

/** Resolves a `$ref` that names a registered schema (`tributary:schemas/<type>/versions/<n>`, maybe with a #fragment); undefined when unknown. Local refs ('#/$defs/x', '#') are resolved by the checker within the document that holds them. */
export type RefResolver = (ref: string) => JsonSchema | undefined;

/** A subschema together with the document its local `$ref`s point into. */
export interface SchemaNode {
  schema: JsonSchema;
  root: JsonSchema;
}

/** The schemas an instance must all satisfy, with the `$ref`s and `allOf`s that led to them followed. */
export interface Conjunction {
  nodes: SchemaNode[];
  /** `$ref`s that named nothing known. */
  unresolved: string[];
}

export type SchemaObject = { [keyword: string]: unknown };

export function isSchemaObject(schema: unknown): schema is SchemaObject {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema);
}

export function childNode(parent: SchemaNode, schema: unknown): SchemaNode {
  return { schema: toSchema(schema), root: parent.root };
}

/** Anything that is not a schema counts as `true`, as validators ignore what they do not understand. */
export function toSchema(value: unknown): JsonSchema {
  return typeof value === 'boolean' || isSchemaObject(value) ? value : true;
}

/** Follows `$ref` and `allOf` from `start`; a subschema reached twice is taken once, which ends cycles. */
export function flatten(start: SchemaNode, resolve: RefResolver): Conjunction {
  const nodes: SchemaNode[] = [];
  const unresolved: string[] = [];
  const seen = new Set<JsonSchema>();
  const visit = (node: SchemaNode): void => {
    if (isSchemaObject(node.schema) ? seen.has(node.schema) : nodes.some((n) => n.schema === node.schema)) return;
    if (isSchemaObject(node.schema)) seen.add(node.schema);
    nodes.push(node);
    if (!isSchemaObject(node.schema)) return;
    const ref = node.schema.$ref;
    if (typeof ref === 'string') {
      const target = resolveRef(ref, node.root, resolve);
      if (target === undefined) unresolved.push(ref);
      else visit(target);
    }
    const allOf = node.schema.allOf;
    if (Array.isArray(allOf)) for (const part of allOf) visit(childNode(node, part));
  };
  visit(start);
  return { nodes, unresolved };
}

/** `#…` within `root`, anything else through the registry; the fragment of a registry ref is applied here. */
export function resolveRef(ref: string, root: JsonSchema, resolve: RefResolver): SchemaNode | undefined {
  const hash = ref.indexOf('#');
  const base = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? '' : ref.slice(hash + 1);
  const document = base === '' ? root : resolve(base);
  if (document === undefined) return undefined;
  const target = pointerTarget(document, fragment);
  return target === undefined ? undefined : { schema: target, root: document };
}

function pointerTarget(document: JsonSchema, fragment: string): JsonSchema | undefined {
  if (fragment === '') return document;
  if (!fragment.startsWith('/')) return anchorTarget(document, fragment);
  let current: unknown = document;
  for (const raw of fragment.slice(1).split('/')) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isSchemaObject(current)) current = current[token];
    else return undefined;
  }
  return typeof current === 'boolean' || isSchemaObject(current) ? current : undefined;
}

function anchorTarget(node: unknown, anchor: string): JsonSchema | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = anchorTarget(item, anchor);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isSchemaObject(node)) return undefined;
  if (node.$anchor === anchor) return node;
  for (const value of Object.values(node)) {
    const found = anchorTarget(value, anchor);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Appends one member name or index to a JSON Pointer (RFC 6901). */
export function pointer(path: string, token: string | number): string {
  return `${path}/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** How a message names a place in the event: its pointer, or the event itself at the root. */
export function where(path: string): string {
  return path === '' ? 'the event' : path;
}
