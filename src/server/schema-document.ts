import { SCHEMA_REF_PREFIX, type JsonSchema, type SchemaVersion } from '../store/schema-registry.js';

/** An OpenAPI 3.1 document whose only content is components: one schema per registered version of each event type. */
export interface SchemaDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  paths: Record<string, never>;
  components: { schemas: Record<string, unknown> };
}

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
// keywords whose values are instances, not schemas: a `$ref` inside them is data
const INSTANCE_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);
const REF = /^tributary:schemas\/([^/#]+)\/versions\/([0-9]+)(#.*)?$/;

/**
 * The registered schemas as an OpenAPI 3.1 document, so that any language's
 * generator makes its types: version n of `OrderPlaced` is the component
 * `OrderPlacedV<n>` (characters a component name may not hold become `_`),
 * marked with `x-event-type` and `x-schema-version`, and the registry's own
 * references (`tributary:schemas/<type>/versions/<n>`) point at components.
 * A reference to a version left out (one the reader may not see) becomes an
 * open schema saying so, never a dangling link.
 *
 * ```ts
 * schemaDocument([{ type: 'OrderPlaced', version: 1, schema: { type: 'object' }, registeredAt, position: 4 }])
 * // components.schemas.OrderPlacedV1 = { type: 'object', 'x-event-type': 'OrderPlaced', 'x-schema-version': 1 }
 * ```
 */
export function schemaDocument(versions: readonly SchemaVersion[]): SchemaDocument {
  const names = componentNames(versions);
  const schemas: Record<string, unknown> = {};
  for (const version of versions) {
    const body = rewriteRefs(objectSchema(version.schema), names) as Record<string, unknown>;
    delete body['$id'];
    delete body['$schema'];
    schemas[names.get(key(version.type, version.version))!] = { ...body, 'x-event-type': version.type, 'x-schema-version': version.version };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tributary event schemas',
      version: String(Math.max(0, ...versions.map((version) => version.position))),
      description: "Every registered version of every event type the token may read, as components: an event's data follows the component of its type and metadata.schemaVersion.",
    },
    jsonSchemaDialect: DIALECT,
    paths: {},
    components: { schemas },
  };
}

/** Component names in the order given: `<type>V<n>`, made unique with `_2`, `_3`… when two types clean up to the same name. */
function componentNames(versions: readonly SchemaVersion[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const { type, version } of versions) {
    const base = `${type.replace(/[^A-Za-z0-9._-]/g, '_')}V${version}`;
    let name = base;
    for (let suffix = 2; taken.has(name); suffix++) name = `${base}_${suffix}`;
    taken.add(name);
    names.set(key(type, version), name);
  }
  return names;
}

function key(type: string, version: number): string {
  return `${version} ${type}`;
}

/** `true` and `false` as the objects OpenAPI tools expect. */
function objectSchema(schema: JsonSchema): Record<string, unknown> {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  return schema;
}

function rewriteRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, names));
  if (typeof value !== 'object' || value === null) return value;
  const rewritten: Record<string, unknown> = {};
  for (const [keyword, member] of Object.entries(value)) {
    rewritten[keyword] = INSTANCE_KEYWORDS.has(keyword) ? member : rewriteRefs(member, names);
  }
  const ref = rewritten['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith(SCHEMA_REF_PREFIX)) return rewritten;
  const match = REF.exec(ref);
  const name = match === null ? undefined : names.get(key(decoded(match[1]!), Number(match[2])));
  if (name === undefined) {
    delete rewritten['$ref'];
    return { ...rewritten, description: `${ref}: a registered schema this document does not carry` };
  }
  const fragment = match![3] ?? '';
  rewritten['$ref'] = `#/components/schemas/${name}${fragment.startsWith('#/') ? fragment.slice(1) : ''}`;
  return rewritten;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // malformed percent-encoding names no registered type
    return '';
  }
}
