// The lake part's baseline and checks for bench/projections.ts: DuckDB on its own loading the
// events with an appender and writing them with one partitioned COPY, and what a directory of
// Parquet files holds.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { RecordedEvent } from '../../src/core/event.js';
import { categoryOf } from '../../src/core/stream-name.js';

/** One event as the default lake feed stores it, with its partitions, ready for the appender. */
export interface LakeInputRow {
  position: number;
  stream: string;
  type: string;
  revision: number;
  id: string;
  recordedAtMillis: number;
  data: string;
  metadata: string | null;
  day: string;
  category: string;
}

export function lakeInputRows(events: readonly RecordedEvent[]): LakeInputRow[] {
  return events.map((event) => ({
    position: event.position,
    stream: event.stream,
    type: event.type,
    revision: event.revision,
    id: event.id,
    recordedAtMillis: event.recordedAtMillis,
    data: event.dataJson,
    metadata: event.metadataJson,
    day: new Date(event.recordedAtMillis).toISOString().slice(0, 10),
    category: categoryOf(event.stream),
  }));
}

/**
 * DuckDB alone: a fresh in-memory instance, the rows appended to a table with the default feed's
 * columns, then one COPY to Parquet partitioned by day and category. Returns the seconds all of it took.
 */
export async function duckdbLake(rows: readonly LakeInputRow[], directory: string): Promise<number> {
  const start = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await connection.run(
        'CREATE TABLE events (position BIGINT, stream VARCHAR, type VARCHAR, revision BIGINT, id VARCHAR, recorded_at TIMESTAMP, data JSON, metadata JSON, day VARCHAR, category VARCHAR)',
      );
      const appender = await connection.createAppender('events');
      try {
        for (const [i, row] of rows.entries()) {
          // a breath now and then, so a signal is handled while this runs
          if (i % 20_000 === 19_999) await new Promise(setImmediate);
          appender.appendBigInt(BigInt(row.position));
          appender.appendVarchar(row.stream);
          appender.appendVarchar(row.type);
          appender.appendBigInt(BigInt(row.revision));
          appender.appendVarchar(row.id);
          appender.appendTimestamp(new DuckDBTimestampValue(BigInt(row.recordedAtMillis) * 1000n));
          appender.appendVarchar(row.data);
          if (row.metadata === null) appender.appendNull();
          else appender.appendVarchar(row.metadata);
          appender.appendVarchar(row.day);
          appender.appendVarchar(row.category);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await connection.run(`COPY events TO '${directory.replaceAll("'", "''")}' (FORMAT PARQUET, PARTITION_BY (day, category))`);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  return (performance.now() - start) / 1000;
}

/** The Parquet files under `directory`: how many, their bytes, and the rows and distinct positions DuckDB reads from them. */
export async function parquetContents(directory: string): Promise<{ files: number; bytes: number; rows: number; positions: number }> {
  const paths = await parquetPaths(directory);
  let bytes = 0;
  for (const path of paths) bytes += (await stat(path)).size;
  if (paths.length === 0) return { files: 0, bytes, rows: 0, positions: 0 };
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      const list = paths.map((path) => `'${path.replaceAll("'", "''")}'`).join(', ');
      const reader = await connection.runAndReadAll(`SELECT count(*), count(DISTINCT position) FROM read_parquet([${list}])`);
      const [rows, positions] = reader.getRows()[0]!;
      return { files: paths.length, bytes, rows: Number(rows), positions: Number(positions) };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function parquetPaths(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await parquetPaths(path)));
    else if (entry.name.endsWith('.parquet')) found.push(path);
  }
  return found;
}
