import type { LogFilter } from '../../store/event-store.js';

export interface FilterQuery {
  category?: string[];
  type?: string[];
  prefix?: string;
  tag?: string[];
}

/** The store filter for `?category=&type=&prefix=&tag=`; a category or type may also list several, comma-separated; a tag never is. */
export function filterOf(query: FilterQuery): LogFilter {
  const split = (values: string[] | undefined) => values?.flatMap((value) => value.split(',')).filter((value) => value !== '');
  return { categories: split(query.category), types: split(query.type), streamPrefix: query.prefix, tags: query.tag };
}
