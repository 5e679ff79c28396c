import { TributaryError, isTributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import type { EventStore } from '../store/event-store.js';
import {
  COMPATIBILITY_MODES,
  DEFAULT_COMPATIBILITY,
  VALIDATION_MODES,
  type CategoryMode,
  type Compatibility,
  type CompatibilityReport,
  type JsonSchema,
  type RegisterOptions,
  type SchemaRegistry,
  type SchemaTypeDetails,
  type SchemaTypeSummary,
  type SchemaVersion,
  type SchemaWarning,
  type UpcastFunction,
  type UpcastRule,
  type ValidationMode,
} from '../store/schema-registry.js';
import { canonicalJson } from './canonical-json.js';
import { compatibilityBreaks } from './compatibility.js';
import { assertCategory, assertSchemaType, modeStream, REGISTRY_EVENT, typeStream } from './registry-events.js';
import type { RegistryCache } from './registry-cache.js';
import type { RegistryState, TypeEntry } from './registry-state.js';
import type { SchemaCompiler } from './schema-compiler.js';
import { registryRef } from './schema-refs.js';
import { checkUpcastRules } from './upcast-rules.js';
import type { Upcasters } from './upcasters.js';

// two processes registering at once: the loser reads the winner's version and decides again
const REGISTER_ATTEMPTS = 5;
const MAX_CATEGORIES = 100;

/** The registry of a store opened with `openStore`: its events go to the bare store underneath, in the `$schemas` category. */
export class StoreSchemaRegistry implements SchemaRegistry {
  readonly #store: EventStore;
  readonly #cache: RegistryCache;
  readonly #compiler: SchemaCompiler;
  readonly #upcasters: Upcasters;
  readonly #warningListeners = new Set<(warning: SchemaWarning) => void>();

  constructor(store: EventStore, cache: RegistryCache, compiler: SchemaCompiler, upcasters: Upcasters) {
    this.#store = store;
    this.#cache = cache;
    this.#compiler = compiler;
    this.#upcasters = upcasters;
  }

  async register(type: string, schema: JsonSchema, options: RegisterOptions = {}): Promise<SchemaVersion> {
    assertSchemaType(type);
    const categories = checkCategories(options.categories);
    for (let attempt = 1; ; attempt++) {
      const state = await this.#cache.latest();
      const report = await this.#report(state, type, schema);
      if (!report.compatible) throw incompatible(report);
      const entry = state.types.get(type);
      const latest = entry?.versions.at(-1);
      const added = categories.filter((category) => entry?.categories.has(category) !== true);
      if (latest !== undefined && report.version === latest.version && added.length === 0) return latest;
      const event: EventData =
        latest !== undefined && report.version === latest.version
          ? { type: REGISTRY_EVENT.categoriesAdded, data: { type, categories: added } }
          : { type: REGISTRY_EVENT.versionRegistered, data: { type, version: report.version, schema, categories } };
      try {
        await this.#store.append(typeStream(type), [event], { expectedRevision: entry?.revision ?? 'no_stream' });
      } catch (error) {
        if (isTributaryError(error, 'WRONG_EXPECTED_REVISION') && attempt < REGISTER_ATTEMPTS) continue;
        throw error;
      }
      const after = await this.#cache.latest();
      return after.types.get(type)!.versions[report.version - 1]!;
    }
  }

  async check(type: string, schema: JsonSchema): Promise<CompatibilityReport> {
    assertSchemaType(type);
    return this.#report(await this.#cache.latest(), type, schema);
  }

  async list(): Promise<SchemaTypeSummary[]> {
    const state = await this.#cache.current();
    return [...state.types.values()].sort(byType).map((entry) => state.summary(entry));
  }

  async describe(type: string): Promise<SchemaTypeDetails> {
    const state = await this.#cache.current();
    return state.details(entryOf(state, type));
  }

  async version(type: string, version: number | 'latest'): Promise<SchemaVersion> {
    const state = await this.#cache.current();
    const entry = entryOf(state, type);
    const found = version === 'latest' ? entry.versions.at(-1) : Number.isSafeInteger(version) ? entry.versions[version - 1] : undefined;
    if (found === undefined) throw notFound(type, version);
    return found;
  }

  async setCompatibility(type: string, compatibility: Compatibility): Promise<void> {
    assertSchemaType(type);
    if (!COMPATIBILITY_MODES.includes(compatibility)) {
      throw new TributaryError('INVALID_SCHEMA', `unknown compatibility mode ${JSON.stringify(compatibility)}: use one of ${COMPATIBILITY_MODES.join(', ')}`, {
        type,
        reason: 'unknown compatibility mode',
      });
    }
    const state = await this.#cache.latest();
    if ((state.types.get(type)?.compatibility ?? DEFAULT_COMPATIBILITY) === compatibility && state.types.has(type)) return;
    await this.#store.append(typeStream(type), [{ type: REGISTRY_EVENT.compatibilitySet, data: { type, compatibility } }]);
    await this.#cache.latest();
  }

  async setMode(category: string, mode: ValidationMode): Promise<void> {
    assertCategory(category);
    if (!VALIDATION_MODES.includes(mode)) {
      throw new TributaryError('INVALID_SCHEMA', `unknown validation mode ${JSON.stringify(mode)}: use enforce, warn or off`, {
        category,
        reason: 'unknown validation mode',
      });
    }
    const state = await this.#cache.latest();
    if ((state.modes.get(category) ?? 'off') === mode) return;
    await this.#store.append(modeStream(category), [{ type: REGISTRY_EVENT.modeSet, data: { category, mode } }]);
    await this.#cache.latest();
  }

  async modes(): Promise<CategoryMode[]> {
    return (await this.#cache.current()).categoryModes();
  }

  async addUpcaster(type: string, fromVersion: number, rules: readonly UpcastRule[]): Promise<void> {
    assertSchemaType(type);
    const checked = checkUpcastRules(type, rules);
    const state = await this.#cache.latest();
    const entry = entryOf(state, type);
    if (!Number.isSafeInteger(fromVersion) || fromVersion < 1 || entry.versions[fromVersion] === undefined) {
      throw new TributaryError('SCHEMA_NOT_FOUND', `an upcaster of ${JSON.stringify(type)} from version ${JSON.stringify(fromVersion)} needs versions ${String(fromVersion)} and ${Number(fromVersion) + 1} registered; ${entry.versions.length} are`, {
        type,
        version: fromVersion,
      });
    }
    await this.#store.append(typeStream(type), [{ type: REGISTRY_EVENT.upcasterSet, data: { type, fromVersion, rules: checked } }]);
    await this.#cache.latest();
  }

  upcaster(type: string, fromVersion: number, upcast: UpcastFunction): () => void {
    assertSchemaType(type);
    return this.#upcasters.add(type, fromVersion, upcast);
  }

  onWarning(listener: (warning: SchemaWarning) => void): () => void {
    this.#warningListeners.add(listener);
    return () => this.#warningListeners.delete(listener);
  }

  /** Tells every listener of the events a `warn` category accepted; a listener's throw is its own problem, not the append's. */
  warn(warnings: readonly SchemaWarning[]): void {
    for (const warning of warnings) {
      for (const listener of this.#warningListeners) {
        try {
          listener(warning);
        } catch {
          // the append is stored already: a failing listener must not turn it into an error
        }
      }
    }
  }

  async #report(state: RegistryState, type: string, schema: JsonSchema): Promise<CompatibilityReport> {
    await this.#compiler.load();
    this.#compiler.check(type, schema, state);
    const entry = state.types.get(type);
    const compatibility = entry?.compatibility ?? DEFAULT_COMPATIBILITY;
    const versions = entry?.versions ?? [];
    const latest = versions.at(-1);
    if (latest !== undefined && canonicalJson(latest.schema) === canonicalJson(schema)) {
      return { type, compatible: true, compatibility, version: latest.version, checkedAgainst: [], breaks: [] };
    }
    const breaks = compatibilityBreaks(schema, versions, compatibility, (ref) => resolveRef(state, ref));
    const checkedAgainst =
      compatibility === 'NONE' || latest === undefined ? [] : compatibility.endsWith('_TRANSITIVE') ? versions.map((v) => v.version) : [latest.version];
    return { type, compatible: breaks.length === 0, compatibility, version: versions.length + 1, checkedAgainst, breaks };
  }
}

function resolveRef(state: RegistryState, ref: string): JsonSchema | undefined {
  const named = registryRef(ref);
  return named === undefined ? undefined : state.types.get(named.type)?.versions[named.version - 1]?.schema;
}

function checkCategories(categories: unknown): string[] {
  if (categories === undefined) return [];
  if (!Array.isArray(categories) || categories.length > MAX_CATEGORIES) {
    throw new TributaryError('INVALID_SCHEMA', `categories must be an array of at most ${MAX_CATEGORIES} categories`, { reason: 'categories must be an array' });
  }
  for (const category of categories) assertCategory(category);
  return [...new Set(categories as string[])].sort();
}

function entryOf(state: RegistryState, type: string): TypeEntry {
  const entry = typeof type === 'string' ? state.types.get(type) : undefined;
  if (entry === undefined || entry.versions.length === 0) throw notFound(type, null);
  return entry;
}

function notFound(type: string, version: number | 'latest' | null): TributaryError {
  const what = version === null || version === 'latest' ? `event type ${JSON.stringify(type)} has no registered schema` : `event type ${JSON.stringify(type)} has no version ${JSON.stringify(version)}`;
  return new TributaryError('SCHEMA_NOT_FOUND', what, { type, version });
}

function incompatible(report: CompatibilityReport): TributaryError {
  const shown = report.breaks.slice(0, 5).map((b) => `against version ${b.version}: ${b.message}`);
  const more = report.breaks.length > 5 ? ` (and ${report.breaks.length - 5} more)` : '';
  return new TributaryError('SCHEMA_INCOMPATIBLE', `the new schema of ${JSON.stringify(report.type)} breaks ${report.compatibility} compatibility: ${shown.join('; ')}${more}`, {
    type: report.type,
    compatibility: report.compatibility,
    breaks: report.breaks,
  });
}

function byType(a: TypeEntry, b: TypeEntry): number {
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}
