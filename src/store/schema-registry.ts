import type { RecordedEvent } from '../core/event.js';

/**
 * The schema registry's contract: numbered JSON Schema (2020-12) versions per
 * event type, a validation mode per category, a compatibility mode per type,
 * and upcasters between versions. The registry keeps all of it as events in
 * the store's own `$schemas` category, so it is audited and replayed like the
 * rest of the log. A store opened with `openStore` (and every server) has one;
 * a bare backend handle (`openSqliteStore`, `openPostgresStore`) has none.
 *
 * ```ts
 * const store = await openStore('./data/tributary.db');
 * await store.schemas!.register('OrderPlaced', { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } });
 * await store.schemas!.setMode('order', 'enforce');
 * ```
 */
export interface SchemaRegistry {
  /**
   * Registers `schema` as the next version of `type`, after checking it is
   * valid JSON Schema 2020-12 whose `$ref`s stay inside the registry and that
   * it keeps the type's compatibility mode. Registering a schema equal to the
   * latest version registers nothing and returns that version. `categories`
   * adds to the categories the type is written to, which decide who may see
   * and change its schemas over HTTP.
   * Errors: INVALID_SCHEMA, SCHEMA_INCOMPATIBLE.
   */
  register(type: string, schema: JsonSchema, options?: RegisterOptions): Promise<SchemaVersion>;

  /** What `register` would decide, without registering anything. Errors: INVALID_SCHEMA. */
  check(type: string, schema: JsonSchema): Promise<CompatibilityReport>;

  /** Every event type with a registered version or a compatibility mode, in name order. */
  list(): Promise<SchemaTypeSummary[]>;

  /** One type's versions, compatibility mode and upcasters. Errors: SCHEMA_NOT_FOUND. */
  describe(type: string): Promise<SchemaTypeDetails>;

  /** One version of a type's schema; `'latest'` for its newest. Errors: SCHEMA_NOT_FOUND. */
  version(type: string, version: number | 'latest'): Promise<SchemaVersion>;

  /** Sets the compatibility mode later registrations of `type` are checked against. Errors: INVALID_SCHEMA. */
  setCompatibility(type: string, compatibility: Compatibility): Promise<void>;

  /** Sets how appends to `category` are validated. Errors: INVALID_SCHEMA. */
  setMode(category: string, mode: ValidationMode): Promise<void>;

  /** Every category whose validation mode was set, with its mode, in name order. */
  modes(): Promise<CategoryMode[]>;

  /**
   * Stores declarative upcaster rules from `fromVersion` to `fromVersion + 1`
   * of `type` (both must be registered); they replace earlier rules of that step.
   * Errors: INVALID_SCHEMA, SCHEMA_NOT_FOUND.
   */
  addUpcaster(type: string, fromVersion: number, rules: readonly UpcastRule[]): Promise<void>;

  /**
   * Upcasts `type` from `fromVersion` to `fromVersion + 1` with a function, in
   * this process only; it takes the place of stored rules for that step.
   * Returns its removal.
   *
   * ```ts
   * store.schemas!.upcaster('OrderPlaced', 1, (data) => ({ ...(data as object), currency: 'EUR' }));
   * ```
   */
  upcaster(type: string, fromVersion: number, upcast: UpcastFunction): () => void;

  /** Calls `listener` for every event a `warn` category accepted although it broke its schema. Returns its removal. */
  onWarning(listener: (warning: SchemaWarning) => void): () => void;
}

export interface RegisterOptions {
  /** Categories the type's events are written to; added to those already recorded. */
  categories?: readonly string[];
}

/** A JSON Schema document (2020-12): an object, or `true`/`false`. */
export type JsonSchema = boolean | { [keyword: string]: unknown };

/** How appends to a category are checked: refused whole, accepted and counted, or not checked. */
export type ValidationMode = 'enforce' | 'warn' | 'off';
export const VALIDATION_MODES: readonly ValidationMode[] = ['enforce', 'warn', 'off'];

/** Confluent Schema Registry's compatibility modes, with their meanings. */
export type Compatibility =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';
export const COMPATIBILITY_MODES: readonly Compatibility[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
];
export const DEFAULT_COMPATIBILITY: Compatibility = 'BACKWARD';

/** The category the registry keeps its events in; `$` makes it the store's own. */
export const SCHEMA_CATEGORY = '$schemas';

/** The metadata key naming the schema version an event was written (and validated) against. */
export const SCHEMA_VERSION_KEY = 'schemaVersion';

/** How `$ref` names a registered schema: `tributary:schemas/<type, URI-encoded>/versions/<n>`. */
export const SCHEMA_REF_PREFIX = 'tributary:schemas/';

export interface SchemaVersion {
  type: string;
  /** From 1, contiguous. */
  version: number;
  schema: JsonSchema;
  /** When it was registered, ISO 8601 UTC. */
  registeredAt: string;
  /** The log position of the registration event. */
  position: number;
}

export interface SchemaTypeSummary {
  type: string;
  /** The newest version; 0 when only a compatibility mode was set. */
  latest: number;
  compatibility: Compatibility;
  /**
   * The categories the type is written to, as registrations named them, in
   * name order. Over HTTP, seeing its schemas needs read scope on each of
   * them and changing them write scope (none recorded: `read:*` / `admin`).
   */
  categories: string[];
  /** The versions an upcaster starts from (stored rules), ascending. */
  upcasters: number[];
}

export interface SchemaTypeDetails extends SchemaTypeSummary {
  versions: SchemaVersion[];
  /** The stored rules of each upcaster step, by the version it starts from. */
  rules: { fromVersion: number; rules: UpcastRule[] }[];
}

export interface CategoryMode {
  category: string;
  mode: ValidationMode;
}

/**
 * A declarative upcaster step, on the event's data. Paths are JSON Pointers
 * (RFC 6901, `/customer/id`); a rule whose source is missing does nothing.
 * - `rename`: the member at `path` gets the name `to`, in the same object.
 * - `move`: the value at `from` moves to `to` (parents are created).
 * - `default`: `value` is set at `path` when nothing is there.
 * - `drop`: the member at `path` is removed.
 */
export type UpcastRule =
  | { op: 'rename'; path: string; to: string }
  | { op: 'move'; from: string; to: string }
  | { op: 'default'; path: string; value: unknown }
  | { op: 'drop'; path: string };

/** Turns data of one version into data of the next; `event` is the event as stored. */
export type UpcastFunction = (data: unknown, event: RecordedEvent) => unknown;

/** What a compatibility check found. */
export interface CompatibilityReport {
  type: string;
  compatible: boolean;
  compatibility: Compatibility;
  /** The version the schema would get: the latest when it equals it, else the next. */
  version: number;
  /** The versions it was checked against. */
  checkedAgainst: number[];
  breaks: SchemaBreak[];
}

/** One way a new version breaks an older one. */
export interface SchemaBreak {
  /** The registered version it breaks against. */
  version: number;
  /** Whose readers fail: `backward` (the new schema cannot read old events) or `forward` (old schemas cannot read new ones). */
  direction: 'backward' | 'forward';
  /** JSON Pointer into the schemas' instances (`/customer/email`); `''` for the whole event. */
  path: string;
  change: BreakKind;
  /** For people: `field /customer/email removed`. */
  message: string;
}

export type BreakKind =
  | 'field-removed'
  | 'field-added'
  | 'required-added'
  | 'type-narrowed'
  | 'type-changed'
  | 'enum-value-removed'
  | 'constraint-tightened'
  | 'additional-properties-closed'
  | 'items-changed'
  | 'schema-narrowed';

/** One event that broke its schema (in `warn`, stored anyway; in `enforce`, the reason an append was refused). */
export interface SchemaFailure {
  /** Index of the event in its batch (its stream's batch in a multi-stream append). */
  index: number;
  stream: string;
  type: string;
  /** The version it was checked against; null when the type has none registered, or the named one does not exist. */
  version: number | null;
  /** JSON Pointer into the event: `/data/amount`, `/data` for the data as a whole, `/metadata/schemaVersion` for a bad version, `/type` for a type with no schema. */
  path: string;
  message: string;
}

export interface SchemaWarning extends SchemaFailure {
  category: string;
}
