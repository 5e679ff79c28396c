import { projectionOfConsumer, consumerNameOf } from '../projections/definition/projection.js';
import { generationsFed } from '../projections/lifecycle/generation-states.js';
import { listProjections } from '../projections/lifecycle/registry.js';
import type { EventStore, LogFilter } from '../store/event-store.js';
import { categoriesOf, unionOf, type Categories } from '../store/filter-categories.js';

/** A consumer or projection with the filters it reads the log through. */
export interface CatalogReader {
  name: string;
  /** One filter for a consumer; one per fed generation for a projection. */
  filters: LogFilter[];
  /** What seeing it needs: read scope on each (`'*'`: every category). */
  categories: Categories;
}

/**
 * The store's consumers (a projection's own consumers left out) and its
 * projections, each with its filters. A projection's filters are those of the
 * consumers feeding its generations; one whose consumer is not registered yet
 * could read anything, so it needs `'*'` to be seen and reaches no type.
 */
export async function readersOf(store: EventStore): Promise<{ consumers: CatalogReader[]; projections: CatalogReader[] }> {
  const records = await store.consumers.list();
  const consumers = records
    .filter((record) => projectionOfConsumer(record.name) === undefined)
    .map((record) => ({ name: record.name, filters: [record.filter], categories: categoriesOf(record.filter) }));
  if (store.sql === undefined) return { consumers, projections: [] };
  const byName = new Map(records.map((record) => [record.name, record]));
  const projections = (await listProjections(store.sql)).map((projection) => {
    const fed = generationsFed(projection).map((generation) => byName.get(consumerNameOf(projection.name, generation)));
    const filters = fed.filter((consumer) => consumer !== undefined).map((consumer) => consumer.filter);
    const categories = filters.length < fed.length ? '*' : unionOf(filters.map(categoriesOf));
    return { name: projection.name, filters: filters.length < fed.length ? [] : filters, categories };
  });
  return { consumers, projections };
}

/**
 * Whether a filter can select events of `type` written to `categories` (the
 * type's categories; none known: any). Tags narrow events, never types, so
 * they do not count here.
 */
export function reaches(filter: LogFilter, type: string, categories: readonly string[]): boolean {
  const types = filter.types ?? [];
  if (types.length > 0 && !types.includes(type)) return false;
  if (categories.length === 0) return true;
  const named = filter.categories ?? [];
  if (named.length > 0 && !named.some((category) => categories.includes(category))) return false;
  const prefix = filter.streamPrefix ?? '';
  return prefix === '' || categories.some((category) => category.startsWith(prefix) || prefix.startsWith(`${category}-`));
}
