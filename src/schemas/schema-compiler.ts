import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { TributaryError } from '../core/errors.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../core/json-depth.js';
import type { JsonSchema } from '../store/schema-registry.js';
import type { RegistryState } from './registry-state.js';
import { keywordValues, registryRef, schemaKey } from './schema-refs.js';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const REFERENCES = new Set(['$ref', '$dynamicRef']);
const IDS = new Set(['$id']);

/**
 * The one validator of a store handle: every registered version compiled once,
 * on first use, and kept. ajv loads with the first schema, so a store nobody
 * registers schemas in never loads it.
 */
export class SchemaCompiler {
  #ajv: Ajv2020 | undefined;
  #loading: Promise<Ajv2020> | undefined;
  readonly #added = new Set<string>();
  #checks = 0;

  /** True once ajv is loaded: validation can then run without waiting. */
  get loaded(): boolean {
    return this.#ajv !== undefined;
  }

  async load(): Promise<void> {
    this.#loading ??= (async () => {
      const [{ Ajv2020 }, formats] = await Promise.all([import('ajv/dist/2020.js'), import('ajv-formats')]);
      // strict off: JSON Schema allows unknown keywords and ignores them; the meta-schema check still refuses malformed ones
      const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
      (formats.default as unknown as (ajv: Ajv2020) => void)(ajv);
      this.#ajv = ajv;
      return ajv;
    })();
    await this.#loading;
  }

  /** Adds the registered versions not added yet (each is compiled when first used). */
  sync(state: RegistryState): void {
    const ajv = this.#ready();
    for (const entry of state.types.values()) {
      for (const { type, version, schema } of entry.versions) {
        const key = schemaKey(type, version);
        if (this.#added.has(key)) continue;
        ajv.addSchema(withId(schema, key), key);
        this.#added.add(key);
      }
    }
  }

  /** The validator of one registered version, compiled on first use. */
  validator(type: string, version: number): ValidateFunction {
    const validate = this.#ready().getSchema(schemaKey(type, version));
    if (validate === undefined) throw new TributaryError('INTERNAL_ERROR', `schema ${schemaKey(type, version)} was not added`, { type, version });
    return validate;
  }

  /**
   * Throws INVALID_SCHEMA unless `schema` is JSON Schema 2020-12 that compiles,
   * whose references stay inside the document or name registered versions.
   */
  check(type: string, schema: unknown, state: RegistryState): asserts schema is JsonSchema {
    const ajv = this.#ready();
    const refuse = (reason: string): never => {
      throw new TributaryError('INVALID_SCHEMA', `the schema of ${JSON.stringify(type)} is not usable: ${reason}`, { type, reason });
    };
    if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
      refuse('a JSON Schema is an object or true or false');
    }
    if (exceedsJsonDepth(schema, MAX_JSON_DEPTH)) refuse(`it nests more than ${MAX_JSON_DEPTH} deep`);
    if (typeof schema === 'object') {
      const declared = (schema as Record<string, unknown>)['$schema'];
      if (declared !== undefined && declared !== DRAFT_2020_12) refuse(`$schema must be ${DRAFT_2020_12} or absent, got ${JSON.stringify(declared)}`);
    }
    for (const { keyword, value, at } of keywordValues(schema, REFERENCES)) {
      if (typeof value !== 'string') refuse(`${keyword} at ${at || '/'} must be a string`);
      const ref = value as string;
      if (ref.startsWith('#')) continue;
      const named = registryRef(ref);
      if (named === undefined) refuse(`${keyword} ${JSON.stringify(ref)} at ${at || '/'} points outside the registry: use #… or tributary:schemas/<type>/versions/<n>`);
      if (state.types.get(named!.type)?.versions[named!.version - 1] === undefined) {
        refuse(`${keyword} ${JSON.stringify(ref)} names a version that is not registered`);
      }
    }
    for (const { at } of keywordValues(schema, IDS)) {
      if (at !== '') refuse(`$id at ${at} is not supported inside a schema: keep shared parts in $defs and refer to them with #/$defs/…`);
    }
    if (!ajv.validateSchema(schema as object)) refuse(ajv.errorsText(ajv.errors, { dataVar: 'schema' }));
    // compiled under a key of its own, then dropped: only registration adds it for good
    const key = `${schemaKey(type, 0)}/check-${++this.#checks}`;
    try {
      ajv.compile(withId(schema as JsonSchema, key));
    } catch (error) {
      refuse((error as Error).message);
    } finally {
      ajv.removeSchema(key);
    }
  }

  #ready(): Ajv2020 {
    if (this.#ajv === undefined) throw new TributaryError('INTERNAL_ERROR', 'the schema compiler is used before it was loaded');
    return this.#ajv;
  }
}

/** The schema under the registry's own `$id` (a document's own root `$id` would clash between versions). */
function withId(schema: JsonSchema, key: string): object {
  if (schema === true) return { $id: key };
  if (schema === false) return { $id: key, not: {} };
  return { ...schema, $id: key };
}
