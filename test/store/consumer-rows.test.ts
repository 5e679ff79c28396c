import { describe, expect, it } from 'vitest';
import { filterKey } from '../../src/store/consumer-rows.js';
import type { LogFilter } from '../../src/store/event-store.js';

describe('filterKey', () => {
  it('tells filters apart by their tags, whatever their order, and with tags their types', () => {
    expect(filterKey({ tags: ['room:7', 'hotel:1'] })).toBe(filterKey({ tags: ['hotel:1', 'room:7'] }));
    expect(filterKey({ types: ['B', 'A'], tags: ['x'] })).toBe(filterKey({ types: ['A', 'B'], tags: ['x'] }));
    expect(filterKey({ tags: ['room:7'] })).not.toBe(filterKey({ tags: ['room:7', 'hotel:1'] }));
    expect(filterKey({ types: ['A'], tags: ['x'] })).not.toBe(filterKey({ types: ['A'] }));
    expect(filterKey({ types: ['A'], tags: ['x'] })).not.toBe(filterKey({ types: ['B'], tags: ['x'] }));
    expect(filterKey({ types: ['A'], tags: ['x'] })).not.toBe(filterKey({ tags: ['x'] }));
  });

  it('reads a filter stored before tags existed as the same filter with no tags', () => {
    const stored = JSON.parse('{"categories":["order"],"types":["Placed"]}') as LogFilter;
    expect(filterKey(stored)).toBe(filterKey({ categories: ['order'], types: ['Placed'], tags: [] }));
    expect(filterKey(stored)).toBe(filterKey({ categories: ['order'], types: ['Placed'] }));
    expect(filterKey(stored)).toBe('{"categories":["order"],"types":["Placed"]}');
    expect(filterKey({})).toBe('{}');
  });
});
