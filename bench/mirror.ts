// Issue 14's targets, each against a baseline measured in the same run (contenders in turns, order rotated run
// by run; medians, and ratios taken within each run), on a source log of 1M 1 KB events in SQLite:
//  - copy: the initial copy SQLite → PostgreSQL by mirrorLog(source, target, { follow: false }) into a fresh
//    schema, against raw COPY of the same rows into a schema Tributary made (psql in a child process);
//    ratio = raw time / mirror time, target ≥ 0.7×;
//  - lag: a mirror into PostgreSQL following a SQLite source appended at 1,000 events/s (10 events every
//    10 ms), lag per event = readable on the target − acknowledged on the source, against the same lag of a
//    plain live subscription on the source; both followers in a process of their own; target p99 ≤ 50 ms;
//  - backup: backupStore of the log into a file, uncompressed bytes per second, against the disk's sequential
//    write rate (1 GB in 1 MB chunks, fsync); target ≥ 0.5×;
//  - restore: restoreBackup of that backup into a fresh schema against the mirror's initial copy;
//    ratio = mirror time / restore time, target ≥ 0.7×. With copy, the two share their mirror runs.
// The source log is built once and kept in bench/.data/ (bench/lib/mirror-source.ts); the PostgreSQL
// schemas live in a throwaway database, each dropped after its run.
//   npm run bench:mirror
//   npm run bench:mirror -- --quick      (a log of 100k events, 5 s of lag, 256 MB of disk writes, 1 run)
//   npm run bench:mirror -- [--only copy,lag,backup,restore] [--events N] [--runs N] [--seconds N] [--disk-mb N] [--rebuild]
// PostgreSQL at TRIBUTARY_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/open/open-store.js';
import { backupStore } from '../src/backup/backup-store.js';
import type { EventStore } from '../src/store/event-store.js';
import { throwawayDatabase, type TestDatabase } from '../test/support/postgres.js';
import { postgresReachable } from './lib/cached-tag-logs.js';
import { FreshSchemas, mirrorCopy, rawCopyInto, restoreCopy } from './lib/copy-runs.js';
import { diskWriteRate } from './lib/disk-rate.js';
import { BenchReport, countFlag, partsAskedFor } from './lib/bench-report.js';
import { interleave, median, runsFromEnv, type Contender } from './lib/interleave.js';
import { DATA } from './lib/log-cache.js';
import { rate, table, timed, times } from './lib/measure.js';
import { lagFigures, measureLag } from './lib/mirror-lag.js';
import { sourceLogOf } from './lib/mirror-source.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'copy,lag,backup,restore' },
    events: { type: 'string' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    'disk-mb': { type: 'string' },
    rebuild: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const EVENTS = countFlag('events', args.events, quick ? 100_000 : 1_000_000);
const RUNS = countFlag('runs', args.runs, quick ? 1 : runsFromEnv(3));
// medians of an odd count are a run's own figures
if (RUNS % 2 === 0) throw new Error(`the number of runs must be odd, not ${RUNS}`);
const LAG_SECONDS = countFlag('seconds', args.seconds, quick ? 5 : 20);
const LAG_RATE = 1000;
const LAG_PER_APPEND = 10;
const DISK_MB = countFlag('disk-mb', args['disk-mb'], quick ? 256 : 1024);

const PARTS = ['copy', 'lag', 'backup', 'restore'] as const;
type Part = (typeof PARTS)[number];
const parts = partsAskedFor(args.only, PARTS);
const runs = (part: Part) => parts.has(part);

const MIRROR = 'mirrorLog, follow: false';
const RAW = 'raw COPY through psql';
const RESTORE = 'restoreBackup';
const DISK = 'disk, sequential write + fsync';
const BACKUP = 'backupStore';
const MIRROR_LAG = 'mirror into PostgreSQL';
const SUBSCRIPTION_LAG = 'live subscription on the source';

const report = new BenchReport();
const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
const mb = (value: number | undefined) => (value === undefined ? '—' : (value / 1e6).toFixed(1));
const label = (n: number) => n.toLocaleString('en-US');
const runsLabel = `median of ${RUNS} run${RUNS === 1 ? '' : 's'}`;

function eachRun(name: string, values: number[]): void {
  report.eachRun(`${name}: ${values.map((value) => times(value)).join(' ')}`);
}

/** Disk write rate against backupStore; answers the last backup's file, kept for the restore. */
async function backupPart(source: EventStore, folder: string): Promise<string> {
  let backups = 0;
  let last: string | undefined;
  const contenders: Contender[] = [
    {
      name: DISK,
      measure: async () => {
        const figures = await diskWriteRate(DISK_MB);
        // what it writes is a file too: the backup's file rate is compared with it
        return { ...figures, fileBytesPerSecond: figures['bytesPerSecond']! };
      },
    },
    {
      name: BACKUP,
      measure: async () => {
        if (last !== undefined) rmSync(last, { force: true });
        const file = join(folder, `backup-${backups++}.tbk`);
        let summary!: Awaited<ReturnType<typeof backupStore>>;
        const seconds = await timed(async () => (summary = await backupStore(source, file)));
        last = file;
        return { bytesPerSecond: summary.bytes / seconds, fileBytesPerSecond: summary.fileBytes / seconds, rate: summary.events / seconds, bytes: summary.bytes, fileBytes: summary.fileBytes, seconds };
      },
    },
  ];
  const measured = await interleave(RUNS, contenders, (name, run) => console.log(`  measured backup: ${name}, run ${run + 1}`));
  const ratio = measured.ratio(BACKUP, DISK, 'bytesPerSecond');
  console.log(`\nbackup of ${label(EVENTS)} events (SQLite source) into a gzip file, against the disk's sequential write rate (${DISK_MB} MB in 1 MB chunks, then fsync); ${runsLabel}`);
  console.log(
    table(
      ['contender', 'MB/s uncompressed (log read)', 'MB/s written to the file', 'events/s', 'MB uncompressed', 'MB in the file'],
      [
        [DISK, '—', mb(measured.median(DISK, 'bytesPerSecond')), '—', '—', mb(measured.median(DISK, 'bytes'))],
        [BACKUP, mb(measured.median(BACKUP, 'bytesPerSecond')), mb(measured.median(BACKUP, 'fileBytesPerSecond')), rate(measured.median(BACKUP)), mb(measured.median(BACKUP, 'bytes')), mb(measured.median(BACKUP, 'fileBytes'))],
      ],
    ),
  );
  console.log(`uncompressed rate / disk rate: ${times(ratio)}; file write rate / disk rate: ${times(measured.ratio(BACKUP, DISK, 'fileBytesPerSecond'))}`);
  eachRun('backup, uncompressed MB/s vs disk write MB/s', measured.ratios(BACKUP, DISK, 'bytesPerSecond'));
  report.target('backup: uncompressed bytes/s vs the disk sequential write rate', times(ratio), '≥ 0.50×', ratio === undefined ? undefined : ratio >= 0.5);
  return last!;
}

/** The whole-log copies into fresh schemas: raw COPY (copy), the mirror's copy, a restore (restore), in turns. */
async function copyPart(sourcePath: string, source: EventStore, schemas: FreshSchemas, backup: string | undefined): Promise<void> {
  const contenders: Contender[] = [];
  if (runs('copy')) contenders.push({ name: RAW, measure: () => rawCopyInto(sourcePath, schemas, EVENTS) });
  contenders.push({ name: MIRROR, measure: () => mirrorCopy(source, schemas, EVENTS) });
  if (backup !== undefined) contenders.push({ name: RESTORE, measure: () => restoreCopy(backup, schemas, EVENTS) });
  const measured = await interleave(RUNS, contenders, (name, run, figures) =>
    console.log(`  measured copy: ${name}, run ${run + 1}: ${figures === undefined ? '—' : `${figures['seconds']!.toFixed(1)} s`}`),
  );
  console.log(`\nwhole-log copy of ${label(EVENTS)} events, SQLite → a fresh PostgreSQL schema; ${runsLabel}`);
  console.log(
    table(
      ['contender', 'events/s', 'seconds'],
      contenders.map(({ name }) => [name, rate(measured.median(name)), measured.median(name, 'seconds')?.toFixed(1) ?? '—']),
    ),
  );
  if (runs('copy')) {
    const ratio = measured.ratio(MIRROR, RAW);
    console.log(`mirror copy vs raw COPY (raw time / mirror time): ${times(ratio)}`);
    eachRun('mirror copy vs raw COPY', measured.ratios(MIRROR, RAW));
    report.target('initial copy SQLite → PostgreSQL vs raw COPY', times(ratio), '≥ 0.70×', ratio === undefined ? undefined : ratio >= 0.7);
  }
  if (backup !== undefined) {
    const ratio = measured.ratio(RESTORE, MIRROR);
    console.log(`restore vs mirror copy (mirror time / restore time): ${times(ratio)}`);
    eachRun('restore vs mirror copy', measured.ratios(RESTORE, MIRROR));
    report.target('restore into PostgreSQL vs the mirror initial copy', times(ratio), '≥ 0.70×', ratio === undefined ? undefined : ratio >= 0.7);
  }
}

/** The mirror's lag against a plain subscription's, each on a fresh source appended at LAG_RATE. */
async function lagPart(schemas: FreshSchemas): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-mirror-lag-'));
  let sources = 0;
  const run = async (follower: 'mirror' | 'subscribe') => {
    const source = join(folder, `source-${sources++}.db`);
    const { schema, location } = schemas.next('lag');
    try {
      const lags = await measureLag({
        source,
        follower: follower === 'mirror' ? { mode: 'mirror', target: location } : { mode: 'subscribe' },
        seconds: LAG_SECONDS,
        rate: LAG_RATE,
        perAppend: LAG_PER_APPEND,
      });
      return lagFigures(lags);
    } finally {
      if (follower === 'mirror') await schemas.drop(schema);
    }
  };
  try {
    const measured = await interleave(
      RUNS,
      [
        { name: MIRROR_LAG, measure: () => run('mirror') },
        { name: SUBSCRIPTION_LAG, measure: () => run('subscribe') },
      ],
      (name, at, figures) => console.log(`  measured lag: ${name}, run ${at + 1}: p99 ${ms(figures?.['p99'])} ms`),
    );
    const names = [MIRROR_LAG, SUBSCRIPTION_LAG];
    console.log(`\nlive lag (ms), ${label(LAG_RATE)} events/s for ${LAG_SECONDS} s (${LAG_PER_APPEND} events every ${(1000 * LAG_PER_APPEND) / LAG_RATE} ms) on a SQLite source; visible − acknowledged; each run's percentiles, ${runsLabel}`);
    console.log(
      table(
        ['follower (a process of its own)', 'p50', 'p99', 'max'],
        names.map((name) => [name, ms(measured.median(name, 'p50')), ms(measured.median(name, 'p99')), ms(measured.median(name, 'max'))]),
      ),
    );
    const p99 = measured.median(MIRROR_LAG, 'p99');
    // a reader of the source can see an event before its appender hears the ack, so a lag can be below 0 and a ratio of p50s says nothing
    const cost = (figure: string) => median(measured.each(MIRROR_LAG, figure).map((value, at) => value - measured.each(SUBSCRIPTION_LAG, figure)[at]!));
    console.log(`the mirror's own cost (mirror lag − subscription lag): p50 ${ms(cost('p50'))} ms, p99 ${ms(cost('p99'))} ms; p99 ratio ${times(measured.ratio(MIRROR_LAG, SUBSCRIPTION_LAG, 'p99'))}`);
    eachRun('mirror lag p99 / subscription lag p99', measured.ratios(MIRROR_LAG, SUBSCRIPTION_LAG, 'p99'));
    report.target(`live mirror lag p99 at ${label(LAG_RATE)} events/s`, `${ms(p99)} ms`, '≤ 50 ms', p99 === undefined ? undefined : p99 <= 50);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

console.log(`1 KB events; ${RUNS} run${RUNS === 1 ? '' : 's'}, contenders in turns; parts ${[...parts].join(', ')}; Node ${process.version}`);
const needsSource = runs('copy') || runs('backup') || runs('restore');
const needsPostgres = runs('copy') || runs('lag') || runs('restore');
const sourcePath = needsSource ? await sourceLogOf(EVENTS, args.rebuild) : undefined;
const database: TestDatabase | undefined = needsPostgres && (await postgresReachable()) ? await throwawayDatabase() : undefined;
const source = sourcePath === undefined ? undefined : await openStore(sourcePath);
const folder = mkdtempSync(join(DATA, 'mirror-run-'));
try {
  if (source !== undefined && (await source.headPosition()) !== EVENTS) throw new Error(`the source log ${sourcePath} holds ${await source.headPosition()} events, not ${EVENTS}: run with --rebuild`);
  let backup: string | undefined;
  if (runs('backup')) backup = await backupPart(source!, folder);
  else if (runs('restore')) {
    backup = join(folder, 'backup.tbk');
    await backupStore(source!, backup);
  }
  if (database !== undefined) {
    const schemas = new FreshSchemas(database.url);
    if (runs('copy') || runs('restore')) await copyPart(sourcePath!, source!, schemas, runs('restore') ? backup : undefined);
    if (runs('lag')) await lagPart(schemas);
  }
} finally {
  await source?.close();
  await database?.drop();
  rmSync(folder, { recursive: true, force: true });
}

report.print();
