import { SCHEMA_REF_PREFIX } from '../store/schema-registry.js';

/** The `$ref` (and the ajv key) naming one registered version: `tributary:schemas/<type, URI-encoded>/versions/<n>`. */
export function schemaKey(type: string, version: number): string {
  return `${SCHEMA_REF_PREFIX}${encodeURIComponent(type)}/versions/${version}`;
}

const REGISTRY_REF = /^tributary:schemas\/([^/#]+)\/versions\/([1-9][0-9]*)(#.*)?$/;

/** The registered version a `$ref` names, or undefined when it names none (a local `#…` ref, or anything else). */
export function registryRef(ref: string): { type: string; version: number } | undefined {
  const match = REGISTRY_REF.exec(ref);
  if (match === null) return undefined;
  try {
    return { type: decodeURIComponent(match[1]!), version: Number(match[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Every value of the given keywords in a schema document, walking objects and
 * arrays with an explicit stack (a schema may be deep), with the JSON Pointer of
 * the object that holds each one.
 */
export function keywordValues(schema: unknown, keywords: ReadonlySet<string>): { keyword: string; value: unknown; at: string }[] {
  const found: { keyword: string; value: unknown; at: string }[] = [];
  const pending: { node: unknown; at: string }[] = [{ node: schema, at: '' }];
  while (pending.length > 0) {
    const { node, at } = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    for (const [key, value] of Object.entries(node)) {
      if (keywords.has(key) && !Array.isArray(node)) found.push({ keyword: key, value, at });
      pending.push({ node: value, at: `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}` });
    }
  }
  return found;
}
