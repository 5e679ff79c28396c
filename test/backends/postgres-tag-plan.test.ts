import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresEventStore } from '../../src/backends/postgres/postgres-store.js';
import type { AppendCondition } from '../../src/core/event-query.js';
import type { StreamAppend } from '../../src/core/stream-appends.js';
import type { ReadAllOptions } from '../../src/store/event-store.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
const SCHEMA = 'tags';
const EVENTS = 20_000;
const RARE_EVERY = 2_000;
/** The tables that grow with the log: a plan that scans one of them costs the size of the log. */
const LOG_TABLES = ['events', 'event_tags', 'event_categories'];
let store: PostgresEventStore;

beforeAll(async () => {
  if (database === undefined) return;
  // every statement the store's sessions run, nested ones inside append_group too, sends its plan back as a notice
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const name = new URL(database.url).pathname.slice(1);
  for (const setting of [
    "session_preload_libraries = 'auto_explain'",
    'auto_explain.log_min_duration = 0',
    "auto_explain.log_level = 'notice'",
    "auto_explain.log_format = 'json'",
    'auto_explain.log_nested_statements = on',
    // with the rows each node really produced, so a branch of a plan that never ran is told from one that did
    'auto_explain.log_analyze = on',
    'auto_explain.log_timing = off',
  ]) {
    await admin.query(`ALTER DATABASE ${name} SET ${setting}`);
  }
  await admin.end();
  store = await openPostgresStore({ url: database.url, schema: SCHEMA, poolSize: 2 });
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
  await store?.close();
  await database?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** Runs `body`, collecting the plan of every statement PostgreSQL ran for it that touches the tag index. */
async function tagPlansOf(body: () => Promise<unknown>): Promise<{ query: string; nodes: PlanNode[] }[]> {
  const plans: { query: string; nodes: PlanNode[] }[] = [];
  const prototype = pg.Client.prototype as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
  const original = prototype.emit;
  prototype.emit = function (this: pg.Client, event: string | symbol, ...args: unknown[]) {
    const message = (args[0] as { message?: string } | undefined)?.message ?? '';
    if (event !== 'notice' || !message.includes('plan:')) return original.call(this, event, ...args);
    const explained = JSON.parse(message.slice(message.indexOf('{'))) as { 'Query Text': string; Plan: PlanNode };
    // the statements that read the tag index; the one that writes it is no read
    if (!/FROM\s+\S*event_tags\b/i.test(explained['Query Text'])) return true;
    const nodes: PlanNode[] = [];
    const walk = (node: PlanNode) => {
      nodes.push(node);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(explained.Plan);
    plans.push({ query: explained['Query Text'], nodes });
    return true;
  };
  try {
    await body();
  } finally {
    prototype.emit = original;
  }
  return plans;
}

/** Some node walks the tag index, and no node that ran scanned a table of the log. */
function expectIndexedTagReads(plans: { query: string; nodes: PlanNode[] }[]): void {
  expect(plans).not.toEqual([]);
  for (const { query, nodes } of plans) {
    const described = `${query}\n${nodes.map((node) => `${node['Node Type']} ${node['Relation Name'] ?? ''} ${node['Index Name'] ?? ''}`).join('\n')}`;
    expect(nodes.some((node) => /Index/.test(node['Node Type']) && (node['Index Name'] ?? '').startsWith('event_tags')), described).toBe(true);
    const scans = nodes.filter((node) => node['Node Type'] === 'Seq Scan' && LOG_TABLES.includes(node['Relation Name'] ?? '') && (node['Actual Loops'] ?? 0) > 0);
    expect(scans, described).toEqual([]);
  }
}

describe.skipIf(database === undefined)('postgres: tag reads use the tag index, not a scan of the log (20k events, a rare tag)', () => {
  const reads: { name: string; options: ReadAllOptions }[] = [
    { name: 'one tag', options: { tags: ['vip:1'] } },
    { name: 'two tags and types', options: { tags: ['vip:1', 'hotel:1'], types: ['Noted'] } },
    { name: 'a query of two items', options: { query: [{ tags: ['vip:1'] }, { tags: ['room:7', 'vip:1'], types: ['Noted'] }] } },
  ];
  for (const analyzed of [false, true]) {
    describe(analyzed ? 'after ANALYZE' : 'before an explicit ANALYZE', () => {
      if (analyzed) beforeAll(() => store.sql.query(`ANALYZE ${SCHEMA}.events, ${SCHEMA}.event_tags, ${SCHEMA}.event_categories`));
      for (const { name, options } of reads) {
        it(`readAll by ${name}`, async () => {
          let found = -1;
          const plans = await tagPlansOf(async () => {
            const page = await store.readAll({ ...options, limit: 100 });
            expect(page.next).toBeNull();
            expect(page.events.every((e) => e.tags.includes('vip:1'))).toBe(true);
            found = page.events.length;
          });
          expect(found).toBe(EVENTS / RARE_EVERY);
          expectIndexedTagReads(plans);
        });
      }

      it('readAll of a common tag, a page from the middle: an ordered walk of its entries, never a bitmap of all of them', async () => {
        for (const options of [{ tags: ['hotel:1'] }, { query: [{ tags: ['room:7'] }, { tags: ['hotel:1'] }] }]) {
          const plans = await tagPlansOf(async () => {
            const page = await store.readAll({ ...options, after: EVENTS / 2, limit: 100 });
            expect(page.events.map((e) => e.position)).toEqual(Array.from({ length: 100 }, (_, i) => EVENTS / 2 + 1 + i));
          });
          expectIndexedTagReads(plans);
          const bitmaps = plans.flatMap(({ nodes }) => nodes.filter((node) => node['Node Type'].startsWith('Bitmap')));
          expect(bitmaps).toEqual([]);
        }
      });

      const conditions: { name: string; condition: AppendCondition }[] = [
        { name: 'a tag', condition: { failIfEventsMatch: [{ tags: ['vip:1'] }], after: EVENTS - 100 } },
        { name: 'two tags, types and categories', condition: { failIfEventsMatch: [{ tags: ['vip:1', 'hotel:1'], types: ['Noted'] }], categories: ['booking'], after: EVENTS - 100 } },
      ];
      for (const { name, condition } of conditions) {
        it(`the check of a conditional append on ${name}, passing and failing`, async () => {
          const head = await store.headPosition();
          expectIndexedTagReads(await tagPlansOf(() => store.append(`late-${name.length}-${analyzed}`, [{ type: 'Booked', data: {}, tags: ['vip:2'] }], { condition })));
          const failed = await tagPlansOf(() =>
            expect(store.append('late-1', [{ type: 'Booked', data: {} }], { condition: { ...condition, after: 0 } })).rejects.toMatchObject({ code: 'APPEND_CONDITION_FAILED' }),
          );
          expectIndexedTagReads(failed);
          expect(await store.headPosition()).toBe(head + 1);
        });
      }
    });
  }
});
