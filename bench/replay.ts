// Issue 16's replay target: a clean-room replay of a table projection into a fresh scratch SQLite file runs at
// ≥ 0.8× the rate of a rebuild of the same projection on the live store. The log: the schema benchmark's 1 KB
// order events (bench/lib/order-logs.ts, cached in bench/.data/), copied to a working file the rebuilds may change.
// The projection: per customer, a count of orders and a sum of their totals (an upsert per event, keyed by
// customer). Contenders in turns, order rotated run by run; medians, and the ratio taken within each run:
//  - rebuild: the projection runs on the live store (watchMs 100); requestRebuild → readers switched to the new
//    generation (onSwitch), and the old generation dropped before the next run;
//  - replay: replayProjection of the same projection up to the head into a fresh scratch SQLite file opened
//    before the clock starts; the clock stops when the replay returns (its checkpoint at the head, runner stopped).
//   npm run bench:replay
//   npm run bench:replay -- [--events N] [--runs N] [--rebuild]
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RecordedEvent } from '../src/core/event.js';
import { openStore } from '../src/open/open-store.js';
import type { ProjectionDefinition } from '../src/projections/definition/projection.js';
import { runProjection } from '../src/projections/feeding/runner.js';
import { waitForProjection } from '../src/projections/lifecycle/progress.js';
import { requestRebuild } from '../src/projections/lifecycle/rebuild.js';
import { getProjection } from '../src/projections/lifecycle/registry.js';
import { tableSink, type TableContext } from '../src/projections/sinks/table.js';
import type { SqlAccess } from '../src/store/sql-access.js';
import { replayProjection } from '../src/time/replay.js';
import { BenchReport, countFlag } from './lib/bench-report.js';
import { interleave, rateOf, runsFromEnv } from './lib/interleave.js';
import { rate, table, timed, times } from './lib/measure.js';
import { ORDER_TYPE } from './lib/order-contract.js';
import { orderLogOf } from './lib/order-logs.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string' },
    runs: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
  },
});
const EVENTS = countFlag('events', args.events, 200_000);
const RUNS = args.runs === undefined ? runsFromEnv(3) : countFlag('runs', args.runs, 3);
const TARGET = 0.8;
const WATCH_MS = 100;

const totals: ProjectionDefinition<TableContext> = {
  name: 'customer_totals',
  version: 1,
  sink: tableSink({ schema: (t) => [`CREATE TABLE "${t}" (customer TEXT PRIMARY KEY, orders INTEGER NOT NULL, total REAL NOT NULL)`] }),
  handlers: {
    [ORDER_TYPE]: async (event: RecordedEvent, { tx, table: name }) => {
      const { customerId, total } = event.data as { customerId: string; total: number };
      const sql = `INSERT INTO "${name}" (customer, orders, total) VALUES (?, 1, ?)
        ON CONFLICT (customer) DO UPDATE SET orders = "${name}".orders + 1, total = "${name}".total + excluded.total`;
      await tx.execute(tx.dialect.placeholders(sql), [customerId, total]);
    },
  },
};

async function waitUntil(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** No rebuild under way and no generation left to drop: every rebuild run starts alike. */
async function steady(sql: SqlAccess): Promise<void> {
  await waitUntil('the projection to settle', async () => {
    const record = await getProjection(sql, totals.name);
    return record !== undefined && record.building === null && record.retired === null;
  });
}

async function orderCount(sql: SqlAccess, relation: string): Promise<number> {
  const [row] = await sql.query<{ n: number | string }>(`SELECT sum(orders) AS n FROM "${relation}"`);
  return Number(row!.n);
}

async function main(): Promise<void> {
  // made first: it notes the load the run starts under
  const report = new BenchReport();
  const cached = await orderLogOf('v2', EVENTS, args.rebuild);
  const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-replay-'));
  try {
    const working = join(folder, 'live.db');
    copyFileSync(cached, working);
    if (existsSync(`${cached}-wal`)) copyFileSync(`${cached}-wal`, `${working}-wal`);
    const live = await openStore(working);
    const sql = live.sql!;
    const head = await live.headPosition();
    const switches = new Map<number, number>();
    const running = await runProjection(live, totals, { watchMs: WATCH_MS, onSwitch: (generation) => switches.set(generation, performance.now()) });
    try {
      console.log(`warm-up: generation 1 catches up over ${head.toLocaleString('en-US')} events…`);
      await waitForProjection(live, totals.name, head, { timeoutMs: 600_000 });
      // the log also holds the registry's own events, which the projection skips
      const orders = await orderCount(sql, totals.name);
      if (orders === 0) throw new Error('the warm-up built no totals');
      let scratches = 0;
      const runs = await interleave(
        RUNS,
        [
          {
            name: 'rebuild',
            async measure() {
              await steady(sql);
              const start = performance.now();
              const { generation } = await requestRebuild(live, totals.name);
              await waitUntil(`the switch to generation ${generation}`, () => switches.has(generation));
              const seconds = (switches.get(generation)! - start) / 1000;
              if ((await orderCount(sql, totals.name)) !== orders) throw new Error('the rebuilt projection missed events');
              return rateOf({ events: head, seconds });
            },
          },
          {
            name: 'replay',
            async measure() {
              const into = await openStore(join(folder, `scratch-${++scratches}.db`));
              try {
                const seconds = await timed(() => replayProjection(live, totals, { into }));
                if ((await orderCount(into.sql!, totals.name)) !== orders) throw new Error('the replayed projection missed events');
                return rateOf({ events: head, seconds });
              } finally {
                await into.close();
              }
            },
          },
        ],
        (contender, run, figures) => console.log(`  run ${run + 1}: ${contender} ${rate(figures?.['rate'])} events/s`),
      );
      const ratio = runs.ratio('replay', 'rebuild');
      console.log(
        `\nclean-room replay vs rebuild of a table projection, events/s (${head.toLocaleString('en-US')} 1 KB order events, one upsert per event into a table keyed by customer, SQLite, ${RUNS} runs in turns, medians)\n`,
      );
      console.log(table(['contender', 'events/s'], [['rebuild on the live store', rate(runs.median('rebuild'))], ['replay into a scratch SQLite file', rate(runs.median('replay'))]]));
      report.eachRun(`replay / rebuild: ${runs.ratios('replay', 'rebuild').map(times).join(', ')}`);
      report.target('replay / rebuild', times(ratio), `≥ ${times(TARGET)}`, ratio === undefined ? undefined : ratio >= TARGET);
      report.print();
    } finally {
      await running.stop();
      await live.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
