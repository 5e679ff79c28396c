import { APPENDED_BY_KEY } from '../core/appended-by.js';
import { invalidArgument } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { Categories } from '../store/filter-categories.js';
import { SCHEMA_VERSION_KEY, type Compatibility, type JsonSchema, type SchemaTypeSummary } from '../store/schema-registry.js';
import type { SqlAccess } from '../store/sql-access.js';
import { eventsAt, newestOfType, recordedAtOf, type CatalogEvent, type SampledEvent, type TypeInCategory } from './log-facts.js';
import { reaches, readersOf, type CatalogReader } from './readers.js';
import { typesInCategories } from './type-tally.js';

export type { CatalogEvent } from './log-facts.js';

/** How many of each type's newest events producers and examples are taken from. */
export const DEFAULT_SAMPLE_PER_TYPE = 1000;
const MAX_SAMPLE_PER_TYPE = 100_000;

/** What the store says about its event types: the registry, the log, its consumers and projections. */
export interface EventCatalog {
  /** When it was gathered, ISO 8601 UTC. */
  generatedAt: string;
  /** How many of each type's newest events producers and examples were taken from. */
  samplePerType: number;
  /** In name order. */
  types: CatalogType[];
}

export interface CatalogType {
  type: string;
  /** Categories it was registered with or seen in, in name order. */
  categories: string[];
  /** Null for a type the registry does not know. */
  compatibility: Compatibility | null;
  /** Its registered versions, oldest first; empty for an unregistered type. */
  versions: CatalogVersion[];
  /** The newest event of the type that names no schema version (in the sample), or null. */
  unversionedExample: CatalogEvent | null;
  /** Names of the tokens that appended it over HTTP (the events' `appendedBy`), in name order. */
  producers: string[];
  /** Consumers whose filter can select it, in name order. */
  consumers: string[];
  /** Projections whose consumers' filters can select it, in name order. */
  projections: string[];
  /** Events of the type in the log. */
  count: number;
  /** The newest one, or null when none is in the log. */
  lastSeen: { position: number; recordedAt: string } | null;
}

export interface CatalogVersion {
  version: number;
  registeredAt: string;
  schema: JsonSchema;
  /** The newest event of the type written against this version (in the sample), or null. */
  example: CatalogEvent | null;
}

export interface EventCatalogOptions {
  /**
   * Whether the caller may read every one of `categories` (`'*'`: all of them).
   * Types, consumers and projections it may not see are left out; counts,
   * producers and examples come from its categories only. Default: all.
   */
  mayRead?: (categories: Categories) => boolean;
  /** How many of each type's newest events producers and examples come from. Default 1,000, at most 100,000. */
  samplePerType?: number;
}

/**
 * Gathers the event catalog of `store`: every event type seen in the log or
 * registered, with its versions and an example event of each, its categories,
 * producers, consumers and projections, its count and when it was last seen.
 * Counts are exact (one pass over the log per store handle, then only what
 * was appended since); producers and examples come from each type's newest
 * `samplePerType` events. Needs the store's own
 * database: for a server's store, ask its `GET /catalog`.
 *
 * ```ts
 * const catalog = await eventCatalog(store);
 * await writeFile('catalog.html', catalogHtml(catalog));
 * ```
 */
export async function eventCatalog(store: EventStore, options: EventCatalogOptions = {}): Promise<EventCatalog> {
  const sql = store.sql;
  if (sql === undefined) {
    throw invalidArgument('store', `the event catalog reads the store's own database, which ${store.location} does not offer: ask its server's GET /catalog`);
  }
  const mayRead = options.mayRead ?? (() => true);
  const sample = options.samplePerType ?? DEFAULT_SAMPLE_PER_TYPE;
  if (!Number.isInteger(sample) || sample < 1 || sample > MAX_SAMPLE_PER_TYPE) throw invalidArgument('samplePerType', `must be a whole number from 1 to ${MAX_SAMPLE_PER_TYPE}`);
  const registered = await visibleRegistrations(store, mayRead);
  // the store's own categories ($schemas, …) hold its bookkeeping, not anyone's events
  const seen = (await typesInCategories(sql)).filter((row) => !row.category.startsWith('$') && mayRead([row.category]) && !registered.hidden.has(row.type));
  const readers = await readersOf(store);
  const consumers = readers.consumers.filter((reader) => mayRead(reader.categories));
  const projections = readers.projections.filter((reader) => mayRead(reader.categories));

  const names = [...new Set([...registered.visible.keys(), ...seen.map((row) => row.type)])].sort();
  const drafts = await Promise.all(names.map((type) => draftOf(sql, store, type, registered.visible.get(type), seen, sample)));
  const lastTimes = await recordedAtOf(sql, drafts.flatMap((draft) => (draft.lastPosition === 0 ? [] : [draft.lastPosition])));
  const examples = await eventsAt(sql, drafts.flatMap((draft) => [...draft.examples.values()]));
  return {
    generatedAt: new Date().toISOString(),
    samplePerType: sample,
    types: drafts.map((draft) => ({
      type: draft.type,
      categories: draft.categories,
      compatibility: draft.compatibility,
      versions: draft.versions.map((version) => ({ ...version, example: exampleOf(examples, draft.examples.get(version.version)) })),
      unversionedExample: exampleOf(examples, draft.examples.get(null)),
      producers: draft.producers,
      consumers: readersOfType(consumers, draft.type, draft.categories),
      projections: readersOfType(projections, draft.type, draft.categories),
      count: draft.count,
      lastSeen: draft.lastPosition === 0 ? null : { position: draft.lastPosition, recordedAt: new Date(lastTimes.get(draft.lastPosition) ?? 0).toISOString() },
    })),
  };
}

interface Registrations {
  visible: Map<string, SchemaTypeSummary>;
  /** Registered types the caller may not see: left out even where seen in its own categories. */
  hidden: Set<string>;
}

async function visibleRegistrations(store: EventStore, mayRead: (categories: Categories) => boolean): Promise<Registrations> {
  const visible = new Map<string, SchemaTypeSummary>();
  const hidden = new Set<string>();
  for (const summary of (await store.schemas?.list()) ?? []) {
    // no recorded category: only a caller who reads everything sees it, as for its schemas
    if (mayRead(summary.categories.length === 0 ? '*' : summary.categories)) visible.set(summary.type, summary);
    else hidden.add(summary.type);
  }
  return { visible, hidden };
}

interface Draft {
  type: string;
  categories: string[];
  compatibility: Compatibility | null;
  versions: Omit<CatalogVersion, 'example'>[];
  /** The position of each version's example; `null` keys the unversioned one. */
  examples: Map<number | null, number>;
  producers: string[];
  count: number;
  lastPosition: number;
}

async function draftOf(sql: SqlAccess, store: EventStore, type: string, summary: SchemaTypeSummary | undefined, seen: readonly TypeInCategory[], sample: number): Promise<Draft> {
  const rows = seen.filter((row) => row.type === type);
  const seenCategories = rows.map((row) => row.category);
  const versions =
    summary === undefined || summary.latest === 0
      ? []
      : (await store.schemas!.describe(type)).versions.map(({ version, registeredAt, schema }) => ({ version, registeredAt, schema }));
  const sampled = await newestOfType(sql, type, seenCategories, sample);
  return {
    type,
    categories: [...new Set([...(summary?.categories ?? []), ...seenCategories])].sort(),
    compatibility: summary?.compatibility ?? null,
    versions,
    // an unregistered type's events name no version the catalog could group by: its newest stands for all
    examples: versions.length === 0 && sampled[0] !== undefined ? new Map([[null, sampled[0].position]]) : examplePositions(sampled),
    producers: producersOf(sampled),
    count: rows.reduce((total, row) => total + row.events, 0),
    lastPosition: Math.max(0, ...rows.map((row) => row.lastPosition)),
  };
}

/** The newest sampled event per schema version named in its metadata (`null`: none named). */
function examplePositions(sampled: readonly SampledEvent[]): Map<number | null, number> {
  const positions = new Map<number | null, number>();
  for (const { position, metadata } of sampled) {
    const named = metadata?.[SCHEMA_VERSION_KEY];
    const version = typeof named === 'number' && Number.isInteger(named) ? named : null;
    if (!positions.has(version)) positions.set(version, position);
  }
  return positions;
}

function producersOf(sampled: readonly SampledEvent[]): string[] {
  const names = new Set<string>();
  for (const { metadata } of sampled) {
    const producer = metadata?.[APPENDED_BY_KEY];
    if (typeof producer === 'string') names.add(producer);
  }
  return [...names].sort();
}

function readersOfType(readers: readonly CatalogReader[], type: string, categories: readonly string[]): string[] {
  return readers
    .filter((reader) => reader.filters.some((filter) => reaches(filter, type, categories)))
    .map((reader) => reader.name)
    .sort();
}

function exampleOf(events: Map<number, CatalogEvent>, position: number | undefined): CatalogEvent | null {
  return position === undefined ? null : (events.get(position) ?? null);
}
