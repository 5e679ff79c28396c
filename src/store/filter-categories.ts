import { categoryOf } from '../core/stream-name.js';
import type { LogFilter } from './event-store.js';
import { normalizeFilter } from './options.js';

/** The categories some piece of work reads: a list, or `'*'` when it may reach any category. */
export type Categories = readonly string[] | '*';

/**
 * The categories a read has access to: the categories it names, the one a
 * `category-…` prefix pins, or all of them. What decides who may see a
 * consumer, a projection or an event type derived from them.
 *
 * ```ts
 * categoriesOf({ streamPrefix: 'order-12' }); // ['order']
 * ```
 */
export function categoriesOf(filter: LogFilter): Categories {
  const normalized = normalizeFilter(filter);
  if (normalized?.categories !== undefined) return normalized.categories;
  const prefix = normalized?.streamPrefix;
  if (prefix?.includes('-') === true) return [categoryOf(prefix)];
  return '*';
}

/** Every category of several reads together. */
export function unionOf(parts: readonly Categories[]): Categories {
  if (parts.some((part) => part === '*')) return '*';
  return [...new Set((parts as (readonly string[])[]).flat())];
}
