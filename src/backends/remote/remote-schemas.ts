import { TributaryError, invalidArgument } from '../../core/errors.js';
import type {
  CategoryMode,
  Compatibility,
  CompatibilityReport,
  JsonSchema,
  RegisterOptions,
  SchemaRegistry,
  SchemaTypeDetails,
  SchemaTypeSummary,
  SchemaVersion,
  SchemaWarning,
  UpcastFunction,
  UpcastRule,
  ValidationMode,
} from '../../store/schema-registry.js';
import type { RemoteHttp } from './remote-http.js';

/**
 * The server's schema registry (routes under `/schemas` and `/schema-modes`).
 * The server checks everything and answers with the library's codes; what
 * only a process can hold is refused here: an upcaster function runs in the
 * process that reads, so over HTTP only declarative rules exist, and warnings
 * are counted by the server (`tributary_schema_warnings_total`), not sent to
 * its clients.
 */
export class RemoteSchemaRegistry implements SchemaRegistry {
  readonly #http: RemoteHttp;

  constructor(http: RemoteHttp) {
    this.#http = http;
  }

  register(type: string, schema: JsonSchema, options: RegisterOptions = {}): Promise<SchemaVersion> {
    return this.#http.request('POST', `${typePath(type)}/versions`, { body: { schema, categories: options.categories } });
  }

  check(type: string, schema: JsonSchema): Promise<CompatibilityReport> {
    return this.#http.request('POST', `${typePath(type)}/check`, { body: { schema } });
  }

  async list(): Promise<SchemaTypeSummary[]> {
    return (await this.#http.request<{ types: SchemaTypeSummary[] }>('GET', '/schemas')).types;
  }

  describe(type: string): Promise<SchemaTypeDetails> {
    return this.#http.request('GET', typePath(type));
  }

  version(type: string, version: number | 'latest'): Promise<SchemaVersion> {
    if (version !== 'latest' && !(Number.isSafeInteger(version) && version >= 0)) {
      throw invalidArgument('version', `must be a version number or 'latest', got ${JSON.stringify(version)}`);
    }
    return this.#http.request('GET', `${typePath(type)}/versions/${version}`);
  }

  async setCompatibility(type: string, compatibility: Compatibility): Promise<void> {
    await this.#http.request('PUT', `${typePath(type)}/compatibility`, { body: { compatibility } });
  }

  async setMode(category: string, mode: ValidationMode): Promise<void> {
    if (typeof category !== 'string' || category === '') throw invalidCategory(category);
    await this.#http.request('PUT', `/schema-modes/${encodeURIComponent(category)}`, { body: { mode } });
  }

  async modes(): Promise<CategoryMode[]> {
    return (await this.#http.request<{ modes: CategoryMode[] }>('GET', '/schema-modes')).modes;
  }

  async addUpcaster(type: string, fromVersion: number, rules: readonly UpcastRule[]): Promise<void> {
    if (!(Number.isSafeInteger(fromVersion) && fromVersion >= 0)) {
      throw invalidArgument('fromVersion', `must be a version number, got ${JSON.stringify(fromVersion)}`);
    }
    await this.#http.request('PUT', `${typePath(type)}/upcasters/${fromVersion}`, { body: { rules } });
  }

  upcaster(type: string, fromVersion: number, _upcast: UpcastFunction): () => void {
    throw invalidArgument(
      'upcaster',
      `of ${JSON.stringify(type)} from version ${fromVersion} is a function, which runs only in the process that reads: ` +
        'a remote store reads upcast events from the server, so register declarative rules with addUpcaster, or upcast in the server process',
    );
  }

  /** Warnings happen on the server: it counts them in /metrics and logs them; a client hears of none. */
  onWarning(_listener: (warning: SchemaWarning) => void): () => void {
    return () => {};
  }
}

/** The path of a type's schemas: the type name is one path segment, whatever it holds. */
function typePath(type: string): string {
  if (typeof type !== 'string' || type === '') {
    throw new TributaryError('INVALID_SCHEMA', `an event type must be a non-empty string, got ${JSON.stringify(type)}`, { type, reason: 'empty' });
  }
  return `/schemas/${encodeURIComponent(type)}`;
}

function invalidCategory(category: unknown): TributaryError {
  return new TributaryError('INVALID_SCHEMA', `a category must be a non-empty string, got ${JSON.stringify(category)}`, { category, reason: 'empty' });
}
