import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import { APPEND } from './lake-append.js';
import { removeObsolete, rewriteWithout, type LakeRedaction } from './lake-redaction.js';
import { TO_CELL, assertColumns, type Cell, type LakeColumn } from './lake-cells.js';
import {
  STAGING_PREFIX,
  partitionPath,
  readManifest,
  removeOrphans,
  syncDirectories,
  syncPath,
  writeManifest,
  type LakeManifest,
  type ManifestFile,
} from './lake-manifest.js';

/**
 * One row for the lake: `position` is the event's global log position (never going back; the rows of one event share it);
 * day = 'YYYY-MM-DD' (UTC), category = the stream's category; both become hive partition directories.
 */
export interface LakeRow {
  position: number;
  day: string;
  category: string;
  values: Record<string, unknown>;
}

/** Where a lake lives, what its rows hold, and when buffered rows become files. */
export interface LakeWriterOptions {
  /** The lake of one projection generation; created if missing. */
  directory: string;
  /** The row's columns besides day and category (which are partitions); include `position` as a BIGINT column to keep it. */
  columns: readonly LakeColumn[];
  /** Write files when this many rows are buffered (default 100_000). */
  rollRows?: number;
  /** …or when the oldest unrolled row or advance is this old, in milliseconds (default 60_000). */
  rollMs?: number;
  /** A new lake's count of redactions already made (its rows are read after them, as markers); default 0. */
  redactions?: number;
}

interface BufferedRow {
  position: number;
  day: string;
  category: string;
  cells: Cell[];
}

type Group = Omit<ManifestFile, 'path' | 'bytes'>;

const STAGING_TABLE = 'lake_rows';
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Buffers rows of one projection's data lake and rolls them into hive-partitioned parquet files
 * (`day=…/category=…/part-<first>-<last>.parquet`) listed by an atomically replaced `manifest.json`.
 * The manifest is the truth: files it does not list are deleted on open, so a crash never duplicates rows.
 *
 * ```ts
 * const lake = await LakeWriter.open({ directory: 'data/lake/orders-1', columns: [{ name: 'sku', type: 'VARCHAR' }] });
 * lake.add({ position: 7, day: '2024-05-01', category: 'order', values: { sku: 'A-1' } });
 * if (lake.shouldRoll()) await lake.roll();
 * await lake.close();
 * ```
 */
export class LakeWriter {
  readonly directory: string;
  readonly #columns: readonly LakeColumn[];
  readonly #rollRows: number;
  readonly #rollMs: number;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  #manifest: LakeManifest;
  #buffer: BufferedRow[] = [];
  #rowsRolling = 0;
  #handled: number;
  #checkedDay: string | undefined;
  #pendingSince: number | undefined;
  #rolling: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    directory: string,
    options: LakeWriterOptions,
    manifest: LakeManifest,
    instance: DuckDBInstance,
    connection: DuckDBConnection,
  ) {
    this.directory = directory;
    this.#columns = manifest.columns;
    this.#rollRows = options.rollRows ?? 100_000;
    this.#rollMs = options.rollMs ?? 60_000;
    this.#manifest = manifest;
    this.#handled = manifest.position;
    this.#instance = instance;
    this.#connection = connection;
  }

  /**
   * Opens (or creates) the lake in `options.directory`, deleting what a crash left that the manifest does not list.
   * Throws INVALID_PROJECTION when the columns are malformed or differ from those the lake was written with.
   */
  static async open(options: LakeWriterOptions): Promise<LakeWriter> {
    assertColumns(options.columns);
    assertPositiveInteger('rollRows', options.rollRows);
    assertPositiveInteger('rollMs', options.rollMs);
    const directory = resolve(options.directory);
    await mkdir(directory, { recursive: true });
    let manifest = readManifest(directory);
    if (manifest === undefined) {
      const columns = options.columns.map(({ name, type }) => ({ name, type }));
      manifest = { version: 1, position: 0, columns, files: [], updatedAt: isoNow(), redactions: options.redactions ?? 0 };
      await writeManifest(directory, manifest);
    } else {
      assertSameColumns(directory, manifest, options.columns);
    }
    await removeOrphans(directory, manifest);
    const instance = await DuckDBInstance.create(':memory:');
    try {
      return new LakeWriter(directory, options, manifest, instance, await instance.connect());
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  /** The last log position durably in the lake's files (the manifest's). */
  get position(): number {
    return this.#manifest.position;
  }

  /** How many events of `$audit-redactions` the files already reflect (see {@link redact}). */
  get redactions(): number {
    return this.#manifest.redactions ?? 0;
  }

  /**
   * Removes the rows of redacted events from the files that hold them, and
   * records `handled` (the count of `$audit-redactions` events now reflected):
   * each such file is copied without the rows, a new manifest lists the copies,
   * then the old files are deleted. Readers of the manifest see the old files
   * or the new ones, never a mix; a crash leaves one manifest or the other.
   * Only rows at or before {@link position} are in files: pass no later one.
   * A lake without a BIGINT `position` column cannot lose single rows: only
   * `handled` is recorded (its projection's status advises a rebuild).
   * Resolves with the number of rows removed.
   *
   * ```ts
   * await lake.redact([{ position: 42, category: 'order' }], 1);
   * ```
   */
  async redact(redactions: readonly LakeRedaction[], handled: number): Promise<number> {
    this.#assertOpen();
    let removed = 0;
    const next = this.#rolling.then(async () => {
      if (handled <= this.redactions) return;
      const rewritten = await rewriteWithout(this.#connection, this.directory, this.#manifest, redactions, `r${handled}`);
      const manifest: LakeManifest = { ...rewritten.manifest, redactions: handled, updatedAt: isoNow() };
      await writeManifest(this.directory, manifest);
      this.#manifest = manifest;
      await removeObsolete(this.directory, rewritten.obsolete);
      removed = rewritten.removed;
    });
    this.#rolling = next.catch(() => undefined);
    await next;
    return removed;
  }

  /** Rows added and not yet durably in files. */
  get pending(): number {
    return this.#buffer.length + this.#rowsRolling;
  }

  /**
   * Buffers a row; a row at or below {@link position} is already in the files (a re-delivery) and is ignored.
   * Several rows of one event share its position. Throws INVALID_ARGUMENT for a position before the last added or advanced one, or a day that is not YYYY-MM-DD.
   */
  add(row: LakeRow): void {
    this.#assertOpen();
    assertPosition(row.position);
    if (row.position <= this.#manifest.position) return;
    // one event may give several rows, all at its position
    if (row.position < this.#handled) {
      throw invalidArgument('position', `must not go back: ${row.position} is before ${this.#handled}`);
    }
    // rows come day by day: check a day once, not on every row
    if (row.day !== this.#checkedDay) {
      assertDay(row.day);
      this.#checkedDay = row.day;
    }
    if (typeof row.category !== 'string') throw invalidArgument('category', 'must be a string');
    // a column missing from values must not pick up an Object.prototype member of the same name
    const cells = this.#columns.map(({ name, type }) => TO_CELL[type](Object.hasOwn(row.values, name) ? row.values[name] : undefined));
    this.#buffer.push({ position: row.position, day: row.day, category: row.category, cells });
    this.#handled = row.position;
    this.#pendingSince ??= Date.now();
  }

  /** Marks `position` as handled even without a row (an event this lake skips), so a roll records it. */
  advance(position: number): void {
    this.#assertOpen();
    assertPosition(position);
    if (position <= this.#handled) return;
    this.#handled = position;
    this.#pendingSince ??= Date.now();
  }

  /** True when `rollRows` rows are buffered, or the oldest unrolled row or advance is `rollMs` old. */
  shouldRoll(now: number = Date.now()): boolean {
    if (this.#buffer.length >= this.#rollRows) return true;
    return this.#pendingSince !== undefined && now - this.#pendingSince >= this.#rollMs;
  }

  /** Writes the buffered rows to files, then the manifest; a no-op when nothing was added or advanced since the last roll. */
  async roll(): Promise<void> {
    this.#assertOpen();
    return this.#enqueueRoll();
  }

  /** Rolls what is buffered and releases DuckDB, even when that roll fails; later add, advance and roll throw STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#enqueueRoll();
    } finally {
      this.#connection.closeSync();
      this.#instance.closeSync();
    }
  }

  /**
   * Closes without rolling: waits for a roll under way, then forgets the buffered
   * rows and releases DuckDB. For a lake that is being deleted, so nothing is
   * written into it any more.
   */
  async discard(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#rolling;
    this.#buffer = [];
    this.#pendingSince = undefined;
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  // one roll at a time: each takes the buffer as it finds it
  #enqueueRoll(): Promise<void> {
    const next = this.#rolling.then(() => this.#rollNow());
    this.#rolling = next.catch(() => undefined);
    return next;
  }

  async #rollNow(): Promise<void> {
    const rows = this.#buffer;
    const position = this.#handled;
    if (rows.length === 0 && position <= this.#manifest.position) return;
    const pendingSince = this.#pendingSince;
    this.#buffer = [];
    this.#rowsRolling = rows.length;
    this.#pendingSince = undefined;
    try {
      const files = rows.length === 0 ? [] : await this.#writeFiles(rows);
      const manifest: LakeManifest = { ...this.#manifest, position, files: [...this.#manifest.files, ...files], updatedAt: isoNow() };
      await writeManifest(this.directory, manifest);
      this.#manifest = manifest;
    } catch (error) {
      // files already moved stay unlisted, so they are invisible and the next open deletes them
      this.#buffer = rows.concat(this.#buffer);
      this.#pendingSince = pendingSince;
      throw error;
    } finally {
      this.#rowsRolling = 0;
    }
  }

  async #writeFiles(rows: BufferedRow[]): Promise<ManifestFile[]> {
    const name = `${padPosition(rows[0]!.position)}-${padPosition(rows.at(-1)!.position)}`;
    const staging = join(this.directory, `${STAGING_PREFIX}${name}`);
    const { groups, groupOfRow } = groupRows(rows);
    const groupColumn = unusedName('lake_group', this.#columns);
    await rm(staging, { recursive: true, force: true });
    try {
      await this.#load(rows, groupOfRow);
      const select = this.#columns.map(({ name: column }, i) => `c${i} AS ${quoteIdentifier(column)}`).join(', ');
      // partitioned by a group number, not by day and category: the writer, not DuckDB's escaping, names the directories
      await this.#connection.run(
        `COPY (SELECT ${select}, g AS ${quoteIdentifier(groupColumn)} FROM ${STAGING_TABLE}) ` +
          `TO ${sqlString(staging)} (FORMAT PARQUET, PARTITION_BY (${quoteIdentifier(groupColumn)}))`,
      );
      const files: ManifestFile[] = [];
      for (const [index, group] of groups.entries()) {
        const groupDirectory = join(staging, `${groupColumn}=${index}`);
        const produced = await readdir(groupDirectory);
        if (produced.length !== 1) {
          throw new TributaryError('INTERNAL_ERROR', `DuckDB wrote ${produced.length} files for one partition in ${groupDirectory}`, {
            directory: groupDirectory,
            files: produced.length,
          });
        }
        const path = `${partitionPath(group.day, group.category)}/part-${name}.parquet`;
        const target = join(this.directory, ...path.split('/'));
        await makeDirectories(this.directory, dirname(path));
        await rename(join(groupDirectory, produced[0]!), target);
        await syncPath(target);
        files.push({ path, bytes: (await stat(target)).size, ...group });
      }
      await syncDirectories(this.directory, files);
      return files;
    } finally {
      await this.#connection.run(`DROP TABLE IF EXISTS ${STAGING_TABLE}`);
      await rm(staging, { recursive: true, force: true });
    }
  }

  async #load(rows: BufferedRow[], groupOfRow: number[]): Promise<void> {
    const definitions = this.#columns.map(({ type }, i) => `c${i} ${type}`).join(', ');
    await this.#connection.run(`CREATE OR REPLACE TABLE ${STAGING_TABLE} (${definitions}, g INTEGER)`);
    const appenders = this.#columns.map(({ type }) => APPEND[type]);
    const appender = await this.#connection.createAppender(STAGING_TABLE);
    try {
      for (const [r, row] of rows.entries()) {
        for (const [i, cell] of row.cells.entries()) {
          if (cell === null) appender.appendNull();
          else appenders[i]!(appender, cell);
        }
        appender.appendInteger(groupOfRow[r]!);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new TributaryError('STORE_CLOSED', `the lake writer of ${this.directory} is closed`, { directory: this.directory });
    }
  }
}

/**
 * Makes `relative` (`day=…/category=…`) inside the lake, one level at a time: a
 * recursive mkdir would make the lake directory again after it was deleted,
 * where this fails with ENOENT.
 */
async function makeDirectories(lake: string, relative: string): Promise<void> {
  let path = lake;
  for (const part of relative.split('/')) {
    path = join(path, part);
    try {
      await mkdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function groupRows(rows: BufferedRow[]): { groups: Group[]; groupOfRow: number[] } {
  const indexOf = new Map<string, number>();
  const groups: Group[] = [];
  const groupOfRow = rows.map((row) => {
    const key = JSON.stringify([row.day, row.category]);
    let index = indexOf.get(key);
    if (index === undefined) {
      index = groups.push({ rows: 0, firstPosition: row.position, lastPosition: row.position, day: row.day, category: row.category }) - 1;
      indexOf.set(key, index);
    }
    const group = groups[index]!;
    group.rows += 1;
    group.lastPosition = row.position;
    return index;
  });
  return { groups, groupOfRow };
}

function assertSameColumns(directory: string, manifest: LakeManifest, columns: readonly LakeColumn[]): void {
  const stored = JSON.stringify(manifest.columns.map(({ name, type }) => [name, type]));
  if (manifest.version === 1 && stored === JSON.stringify(columns.map(({ name, type }) => [name, type]))) return;
  throw new TributaryError('INVALID_PROJECTION', `the lake in ${directory} was written with other columns (or another manifest version)`, {
    directory,
    stored: manifest.columns,
    given: columns,
  });
}

function assertPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 1) throw invalidArgument('position', 'must be a positive safe integer');
}

function assertPositiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw invalidArgument(name, 'must be a positive integer');
}

function assertDay(day: string): void {
  const date = typeof day === 'string' && DAY.test(day) ? new Date(`${day}T00:00:00Z`) : undefined;
  // the round trip refuses days that do not exist, such as 2023-02-29
  if (date === undefined || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) {
    throw invalidArgument('day', `must be a UTC date as YYYY-MM-DD, not ${JSON.stringify(day)}`);
  }
}

function unusedName(base: string, columns: readonly LakeColumn[]): string {
  const taken = new Set(columns.map(({ name }) => name.toLowerCase()));
  let name = base;
  while (taken.has(name)) name = `_${name}`;
  return name;
}

function padPosition(position: number): string {
  return String(position).padStart(16, '0');
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function isoNow(): string {
  return new Date().toISOString();
}
