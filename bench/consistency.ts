// Consistency across streams on both backends, with 1 KB events, each figure against a baseline measured
// in the same run (contenders in turns, order rotated run by run; medians, and ratios taken within each run):
//  - appendMany of 2 streams × 1 event per call against append of 2 events to one stream, 1 caller and
//    64 concurrent callers (target ≥ 0.8×);
//  - a conditional append (one event tagged room:<n>; the head read first, then the append on the condition
//    that no event tagged room:<n> came after it) against the same append without its condition, 1 caller
//    and 64 concurrent callers each booking its own room (target ≥ 0.7×);
//  - readAll({ tags: [tag] }) through all of a tag's matches, microseconds per returned event, on a log of
//    10k events against one of 1M (target: within 20%), for a rare tag (0.1% of events), a tag of exactly
//    100 events at both sizes, and a common tag (12.5%).
// Each append measurement opens a fresh store: a SQLite file in a temporary folder, or a fresh schema of a
// throwaway PostgreSQL database. The tag logs are built once and kept (bench/lib/cached-tag-logs.ts).
//   npm run bench:consistency
//   npm run bench:consistency -- --quick      (1 run, a few calls, tag logs of 10k and 20k: a check that it runs)
//   npm run bench:consistency -- [--runs 3] [--calls 1000] [--callers 64] [--per-caller 40] [--small 10000] [--large 1000000] [--warm]
//                                [--only sqlite|postgres] [--parts many,condition,tags] [--rebuild]
// PostgreSQL at TRIBUTARY_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openPostgresStore } from '../src/backends/postgres/postgres-store.js';
import { openSqliteStore } from '../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../src/store/event-store.js';
import { throwawayDatabase } from '../test/support/postgres.js';
import { postgresReachable, postgresTagLogs, sqliteTagLogs, tagLogOf } from './lib/cached-tag-logs.js';
import type { LogCache } from './lib/log-cache.js';
import { conditionScenarios, multiStreamScenarios, type ConsistencySizes, type ConsistencyStore } from './lib/consistency-scenarios.js';
import { countFlag } from './lib/bench-report.js';
import { interleave, runsFromEnv, type Runs } from './lib/interleave.js';
import { rate, table, times } from './lib/measure.js';
import { readTag, tagReads, type TagRead } from './lib/tag-log.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    calls: { type: 'string' },
    callers: { type: 'string' },
    'per-caller': { type: 'string' },
    small: { type: 'string' },
    large: { type: 'string' },
    only: { type: 'string' },
    parts: { type: 'string', default: 'many,condition,tags' },
    rebuild: { type: 'boolean', default: false },
    warm: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const RUNS = countFlag('runs', args.runs, quick ? 1 : runsFromEnv(3));
const CALLERS = countFlag('callers', args.callers, 64);
const SIZES: ConsistencySizes = {
  calls: countFlag('calls', args.calls, quick ? 50 : 1000),
  perCaller: countFlag('per-caller', args['per-caller'], quick ? 3 : 40),
  streams: 100,
};
const SMALL = countFlag('small', args.small, 10_000);
const LARGE = countFlag('large', args.large, quick ? 20_000 : 1_000_000);
// a read of the small log's rare tag takes well under a millisecond: passes repeat so warm-up and preemption do not dominate
const MIN_SECONDS = quick ? 0.1 : 1;

const PARTS = ['many', 'condition', 'tags'] as const;
const parts = new Set(args.parts.split(',').map((part) => part.trim()));
for (const part of parts) {
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--parts: unknown part ${JSON.stringify(part)}; the parts are ${PARTS.join(', ')}`);
}
const only = args.only?.toLowerCase();
if (only !== undefined && only !== 'sqlite' && only !== 'postgres') throw new Error(`--only: sqlite or postgres, not ${JSON.stringify(args.only)}`);

interface Backend {
  name: string;
  /** A fresh, empty store. */
  open: () => Promise<ConsistencyStore>;
  tagLogs: LogCache;
}

/** An append figure: a contender against its baseline, both measured in every run; without a target, it explains another row. */
interface AppendRow {
  name: string;
  contender: string;
  baseline: string;
  target?: number;
  runs: Runs;
}

const callersLabel = (callers: number) => `${callers} ${callers === 1 ? 'caller' : 'concurrent callers'}`;

const CONDITIONAL = 'conditional (head read, 1-tag query)';
const CONDITIONAL_KNOWN_AFTER = 'conditional (after known, 1-tag query)';
const UNCONDITIONAL = 'unconditional';
const HEAD_READ_THEN_UNCONDITIONAL = 'unconditional after a head read';

async function appendRows(backend: Backend): Promise<AppendRow[]> {
  const rows: AppendRow[] = [];
  const many = multiStreamScenarios(SIZES, backend.open);
  const condition = conditionScenarios(SIZES, backend.open);
  for (const callers of [1, CALLERS]) {
    if (parts.has('many')) {
      const name = `2 events per call, ${callersLabel(callers)}`;
      const [contender, baseline] = ['appendMany, 2 streams × 1 event', 'append, 1 stream × 2 events'];
      const runs = await interleave(RUNS, [
        { name: contender, measure: many.appendMany(callers) },
        { name: baseline, measure: many.append(callers) },
      ]);
      rows.push({ name, contender, baseline, target: 0.8, runs });
      console.log(`  measured ${backend.name}: ${name}`);
    }
    if (parts.has('condition')) {
      const name = `1 tagged event per call, ${callersLabel(callers)}`;
      const runs = await interleave(RUNS, [
        { name: CONDITIONAL, measure: condition.conditional(callers) },
        { name: CONDITIONAL_KNOWN_AFTER, measure: condition.conditionalKnownAfter(callers) },
        { name: UNCONDITIONAL, measure: condition.unconditional(callers) },
        { name: HEAD_READ_THEN_UNCONDITIONAL, measure: condition.headReadThenUnconditional(callers) },
      ]);
      // the append alone, as the target means it: the same append on a condition, after a position the caller has
      rows.push({ name, contender: CONDITIONAL_KNOWN_AFTER, baseline: UNCONDITIONAL, target: 0.7, runs });
      rows.push({ name, contender: CONDITIONAL, baseline: UNCONDITIONAL, runs });
      // the same runs: what the check costs beside the head read a decider makes anyway
      rows.push({ name, contender: CONDITIONAL, baseline: HEAD_READ_THEN_UNCONDITIONAL, runs });
      console.log(`  measured ${backend.name}: ${name}`);
    }
  }
  return rows;
}

function printAppendRows(backend: Backend, rows: AppendRow[]): void {
  if (rows.length === 0) return;
  console.log(`\n${backend.name}: appends, events/s, median of ${RUNS} run${RUNS === 1 ? '' : 's'}`);
  console.log(
    table(
      ['scenario', 'contender', 'events/s', 'baseline', 'events/s', 'vs baseline', 'target', 'events per commit'],
      rows.map(({ name, contender, baseline, target, runs }) => [
        name,
        contender,
        rate(runs.median(contender)),
        baseline,
        rate(runs.median(baseline)),
        times(runs.ratio(contender, baseline)),
        target === undefined ? '—' : `≥ ${target.toFixed(1)}×`,
        `${(runs.median(contender, 'rowsPerCommit') ?? 0).toFixed(0)} / ${(runs.median(baseline, 'rowsPerCommit') ?? 0).toFixed(0)}`,
      ]),
    ),
  );
  console.log(`ratios are medians of each run's ratio; each run:`);
  for (const { name, contender, baseline, runs } of rows) {
    console.log(`  ${name}, ${contender} vs ${baseline}: ${runs.ratios(contender, baseline).map((value) => times(value)).join(' ')}`);
  }
}

/** Reads by tag on the small and the large log, taking turns run by run. */
async function tagRows(backend: Backend): Promise<void> {
  const logs: [EventStore, EventStore] = [await tagLogOf(backend.tagLogs, SMALL, args.rebuild), await tagLogOf(backend.tagLogs, LARGE, args.rebuild)];
  const sizes = [SMALL, LARGE] as const;
  const labels = sizes.map((events) => events.toLocaleString('en-US'));
  const reads = sizes.map(tagReads);
  const kinds = [
    ['rare', `rare tag customer:<n> (0.1%)`],
    ['fixed', `tag flagged (${reads[0]!.fixed.matches} events at both sizes)`],
    ['common', `common tag region:<n> (12.5%)`],
  ] as const;
  const rows: string[][] = [];
  const ratios: string[] = [];
  for (const [kind, name] of kinds) {
    // each size goes on with the tags it has not read yet, so a pass seldom reads a tag just read; --warm reads one tag again and again
    const passes = [0, 0];
    const contender = (size: 0 | 1) => ({
      name: labels[size]!,
      measure: async () => {
        const read: TagRead = reads[size]![kind];
        const figures = await readTag(logs[size], args.warm ? { ...read, tag: () => read.tag(0) } : read, MIN_SECONDS, passes[size]);
        passes[size]! += figures['passes']!;
        return figures;
      },
    });
    const runs = await interleave(RUNS, [contender(0), contender(1)]);
    const perEvent = (size: 0 | 1) => runs.median(labels[size]!, 'usPerEvent')?.toFixed(2) ?? '—';
    rows.push([name, reads[0]![kind].matches.toLocaleString('en-US'), perEvent(0), reads[1]![kind].matches.toLocaleString('en-US'), perEvent(1), times(runs.ratio(labels[1]!, labels[0]!))]);
    ratios.push(`  ${name}: ${runs.ratios(labels[1]!, labels[0]!).map((value) => times(value)).join(' ')}`);
    console.log(`  measured ${backend.name}: ${name}`);
  }
  for (const log of logs) await log.close();
  console.log(`\n${backend.name}: readAll({ tags: [tag] }) through every match in pages of 1,000, µs per returned event, median of ${RUNS}; ratio = rate at ${labels[1]} over rate at ${labels[0]}, target ≥ 0.8`);
  console.log(table(['tag', `matches at ${labels[0]}`, `µs/event at ${labels[0]}`, `matches at ${labels[1]}`, `µs/event at ${labels[1]}`, 'ratio'], rows));
  console.log(`each run's ratio:\n${ratios.join('\n')}`);
}

async function bench(backend: Backend): Promise<void> {
  printAppendRows(backend, await appendRows(backend));
  if (parts.has('tags')) await tagRows(backend);
}

async function sqlite(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-consistency-'));
  let files = 0;
  try {
    await bench({ name: 'SQLite', open: async () => openSqliteStore({ path: join(folder, `bench-${files++}.db`) }), tagLogs: sqliteTagLogs });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function postgres(): Promise<void> {
  if (!(await postgresReachable())) return;
  const database = await throwawayDatabase();
  if (database === undefined) return;
  let schemas = 0;
  try {
    await bench({ name: 'PostgreSQL', open: () => openPostgresStore({ url: database.url, schema: `bench_${schemas++}` }), tagLogs: postgresTagLogs });
  } finally {
    await database.drop();
  }
}

const loadAtStart = loadavg();
console.log(`1 KB events; ${RUNS} run${RUNS === 1 ? '' : 's'}, contenders in turns; SQLite WAL + synchronous=FULL, PostgreSQL synchronous_commit=on; Node ${process.version}`);
if (only === undefined || only === 'sqlite') await sqlite();
if (only === undefined || only === 'postgres') await postgres();
const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
console.log(`\nload average (1, 5, 15 min): ${load(loadAtStart)} at start, ${load(loadavg())} at end`);
