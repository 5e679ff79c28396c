import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3, { type Statement } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteEventStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { AppendCondition } from '../../src/core/event-query.js';
import type { StreamAppend } from '../../src/core/stream-appends.js';
import type { ReadAllOptions } from '../../src/store/event-store.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-tag-plan-'));
const path = join(folder, 'tags.db');
const EVENTS = 20_000;
const RARE_EVERY = 2_000;
let store: SqliteEventStore;

/** 20k events, all tagged with common tags; one in 2,000 also carries the rare tag `vip:1`. */
beforeAll(async () => {
  store = openSqliteStore({ path });
  for (let call = 0; call < EVENTS / 1000; call++) {
    const appends: StreamAppend[] = Array.from({ length: 10 }, (_, s) => ({
      stream: `booking-${call}x${s}`,
      events: Array.from({ length: 100 }, (_, e) => {
        const n = call * 1000 + s * 100 + e;
        return { type: n % 2 === 0 ? 'RoomBooked' : 'Noted', data: { n }, tags: ['hotel:1', `room:${n % 50}`, ...(n % RARE_EVERY === 7 ? ['vip:1'] : [])] };
      }),
    }));
    await store.appendMany(appends);
  }
}, 60_000);

afterAll(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

/** Runs `body`, collecting the SQL and parameters of every statement it reads rows with that touches the tag index. */
async function tagStatementsOf(body: () => Promise<unknown>): Promise<{ sql: string; params: unknown[] }[]> {
  const probe = new BetterSqlite3(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { all: (this: Statement, ...params: unknown[]) => unknown[] };
  probe.close();
  const original = prototype.all;
  const seen: { sql: string; params: unknown[] }[] = [];
  prototype.all = function (this: Statement, ...params: unknown[]) {
    if (this.source.includes('event_tags')) seen.push({ sql: this.source, params });
    return original.apply(this, params);
  };
  try {
    await body();
  } finally {
    prototype.all = original;
  }
  return seen;
}

/** The plan lines of `sql`, as SQLite would run it on the store's file with these parameters. */
function planOf(sql: string, params: unknown[]): string[] {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((row) => row.detail);
  } finally {
    db.close();
  }
}

/** The plan walks the tag index by tag and position and never scans a table of the log. */
function expectIndexedTagRead(plan: string[]): void {
  expect(plan.some((line) => /^SEARCH g USING PRIMARY KEY \(tag=\? AND position>\? AND position<\?\)/.test(line)), plan.join('\n')).toBe(true);
  expect(plan.filter((line) => /^SCAN (events|event_tags|event_categories|e|g|h|x|c)\b/.test(line)), plan.join('\n')).toEqual([]);
}

describe('sqlite: tag reads use the tag index, not a scan of the log (20k events, a rare tag)', () => {
  const reads: { name: string; options: ReadAllOptions; expected: number }[] = [
    { name: 'one tag', options: { tags: ['vip:1'] }, expected: EVENTS / RARE_EVERY },
    { name: 'two tags and types', options: { tags: ['vip:1', 'hotel:1'], types: ['Noted'] }, expected: EVENTS / RARE_EVERY },
    { name: 'a query of two items', options: { query: [{ tags: ['vip:1'] }, { tags: ['room:7', 'vip:1'], types: ['Noted'] }] }, expected: EVENTS / RARE_EVERY },
  ];
  for (const { name, options, expected } of reads) {
    it(`readAll by ${name}`, async () => {
      let found = 0;
      const statements = await tagStatementsOf(async () => {
        const page = await store.readAll({ ...options, limit: 100 });
        found = page.events.length;
        expect(page.events.every((e) => e.tags.includes('vip:1'))).toBe(true);
        expect(page.next).toBeNull();
      });
      expect(found).toBe(expected);
      expect(statements).not.toEqual([]);
      for (const { sql, params } of statements) expectIndexedTagRead(planOf(sql, params));
    });
  }

  const conditions: { name: string; condition: AppendCondition }[] = [
    { name: 'a tag', condition: { failIfEventsMatch: [{ tags: ['vip:1'] }], after: EVENTS - 100 } },
    { name: 'two tags, types and categories', condition: { failIfEventsMatch: [{ tags: ['vip:1', 'hotel:1'], types: ['Noted'] }], categories: ['booking'], after: EVENTS - 100 } },
  ];
  for (const [index, { name, condition }] of conditions.entries()) {
    it(`the check of a conditional append on ${name}, passing and failing`, async () => {
      const passed = await tagStatementsOf(() => store.append(`late-${index}`, [{ type: 'RoomBooked', data: {}, tags: ['vip:2'] }], { condition }));
      const failed = await tagStatementsOf(() =>
        expect(store.append('late-x', [{ type: 'RoomBooked', data: {} }], { condition: { ...condition, after: 0 } })).rejects.toMatchObject({ code: 'APPEND_CONDITION_FAILED' }),
      );
      for (const statements of [passed, failed]) {
        expect(statements).not.toEqual([]);
        for (const { sql, params } of statements) expectIndexedTagRead(planOf(sql, params));
      }
    });
  }
});
