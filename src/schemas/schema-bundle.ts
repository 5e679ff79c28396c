import { TributaryError } from '../core/errors.js';
import { SCHEMA_REF_PREFIX, type JsonSchema, type SchemaVersion } from '../store/schema-registry.js';
import { EVENT_MAP_NAME, type SchemaTypeNames } from './schema-type-names.js';

/** The keyword that carries a generated name through json-schema-to-typescript to its `customName`. */
export const NAME_KEYWORD = 'x-tributary-type-name';

// keywords whose values are instances, not schemas: a `$ref` inside them is data
const DATA_KEYWORDS = new Set(['const', 'default', 'enum', 'examples']);
const DEFINITION_KEYWORDS = new Set(['$defs', 'definitions']);
// the generator's own keywords put their text into the output as code: a producer's schema must not
const GENERATOR_KEYWORDS = new Set(['tsType', 'tsEnumNames', NAME_KEYWORD]);
// what follows SCHEMA_REF_PREFIX: `<type, URI-encoded>/versions/<n>`, maybe with a pointer into that version
const REGISTRY_REF_REST = /^([^/#]+)\/versions\/([1-9]\d*)(#.*)?$/;

type SchemaObject = { [keyword: string]: unknown };

/**
 * One JSON Schema document holding every version under `$defs`, by its
 * generated name, whose root is the map from event type to latest version.
 * Local `$ref`s of a version are moved under its `$defs` entry and registry
 * refs point at their version's entry, so nothing outside the document is
 * ever resolved; any other ref is INVALID_SCHEMA.
 */
export function bundleSchemas(versions: readonly SchemaVersion[], names: ReadonlyMap<string, SchemaTypeNames>): SchemaObject {
  const definitions: SchemaObject = {};
  for (const { type, version, schema } of versions) {
    const name = names.get(type)!.versions.get(version)!;
    const rebased = rebase(schema, `#/$defs/${name}`, names, `${type} version ${version}`);
    definitions[name] = { ...versionRoot(rebased), [NAME_KEYWORD]: name, description: describe(type, version, schema) };
  }
  // fromEntries: an event type named `__proto__` is a key like any other
  const properties = Object.fromEntries(
    [...names].map(([type, { versions: named }]) => [type, { $ref: `#/$defs/${named.get(Math.max(...named.keys()))!}` }]),
  );
  return {
    [NAME_KEYWORD]: EVENT_MAP_NAME,
    description: 'Every registered event type with the data of its latest version: reads upcast older events to it.',
    type: 'object',
    properties,
    required: [...names.keys()],
    additionalProperties: false,
    $defs: definitions,
  };
}

/** A version's schema as a definition: an object, without what would name or place it elsewhere. */
function versionRoot(schema: JsonSchema): SchemaObject {
  if (schema === true) return {};
  if (schema === false) return { tsType: 'never' };
  const { $id: _id, $schema: _dialect, title: _title, description: _description, ...rest } = schema;
  return rest;
}

function describe(type: string, version: number, schema: JsonSchema): string {
  const own = typeof schema === 'object' ? [schema['title'], schema['description']].filter((text) => typeof text === 'string') : [];
  return inComment([`\`${type}\`, version ${version}.`, ...own].join('\n\n'));
}

/** Text that cannot end the doc comment the generator puts it in. */
export function inComment(text: string): string {
  return text.replaceAll('*/', '*\\/');
}

function rebase(schema: JsonSchema, base: string, names: ReadonlyMap<string, SchemaTypeNames>, owner: string): JsonSchema {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value !== 'object' || value === null) return value;
    const rewrite = (keyword: string, member: unknown): unknown => {
      if (typeof member === 'string' && keyword === '$ref') return target(member, base, names, owner);
      if (typeof member === 'string' && keyword === 'description') return inComment(member);
      if (DATA_KEYWORDS.has(keyword)) return member;
      if (!isObject(member)) return visit(member);
      // the generator quotes these names in comments of its own
      if (keyword === 'patternProperties') return visit(Object.fromEntries(Object.entries(member).map(([pattern, schema]) => [inComment(pattern), schema])));
      const unfit = DEFINITION_KEYWORDS.has(keyword) ? Object.keys(member).find((name) => name.includes('*/')) : undefined;
      if (unfit !== undefined) throw new TributaryError('INVALID_SCHEMA', `${owner} has a definition named ${JSON.stringify(unfit)}, which cannot be named in a comment`, { definition: unfit });
      return visit(member);
    };
    const copy: SchemaObject = {};
    for (const [keyword, member] of Object.entries(value as Record<string, unknown>)) {
      // as a keyword its value is text or a list; an object is the schema of a property of that name
      if (GENERATOR_KEYWORDS.has(keyword) && (typeof member === 'string' || Array.isArray(member))) continue;
      Object.defineProperty(copy, keyword, { value: rewrite(keyword, member), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  };
  return visit(schema) as JsonSchema;
}

function target(ref: string, base: string, names: ReadonlyMap<string, SchemaTypeNames>, owner: string): string {
  if (ref === '#' || ref.startsWith('#/')) return base + ref.slice(1);
  const registry = ref.startsWith(SCHEMA_REF_PREFIX) ? REGISTRY_REF_REST.exec(ref.slice(SCHEMA_REF_PREFIX.length)) : null;
  if (registry === null) throw invalidRef(ref, owner, 'only refs inside the schema or to registered versions become types');
  const [, encodedType, version, fragment = ''] = registry;
  const name = names.get(safeDecode(encodedType!))?.versions.get(Number(version));
  if (name === undefined) throw invalidRef(ref, owner, 'names no registered version');
  if (fragment !== '' && fragment !== '#' && !fragment.startsWith('#/')) throw invalidRef(ref, owner, 'has a fragment that is not a JSON Pointer');
  return `#/$defs/${name}${fragment.slice(1)}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function invalidRef(ref: string, owner: string, reason: string): TributaryError {
  return new TributaryError('INVALID_SCHEMA', `$ref ${JSON.stringify(ref)} in ${owner} ${reason}`, { ref, reason });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
