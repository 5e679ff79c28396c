import { mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { STAGING_PREFIX, syncPath, type LakeManifest, type ManifestFile } from './lake-manifest.js';

/** A redacted event as a lake finds its rows: the rows of one event share its position, in files of its category. */
export interface LakeRedaction {
  position: number;
  category: string;
}

/** A manifest with the redacted events' rows gone, and the files it no longer lists, to delete once it is written. */
export interface RewrittenLake {
  manifest: LakeManifest;
  obsolete: string[];
  /** Rows removed across all files. */
  removed: number;
}

/** The column that ties a lake's rows to log positions; a lake without it cannot have single rows removed. */
export const POSITION_COLUMN = 'position';

/**
 * Writes, beside each file that holds rows of a redacted event, a copy without
 * those rows (or nothing, when no row is left), and answers the manifest that
 * lists the copies instead. Nothing here is visible to readers until the caller
 * writes that manifest; a crash before leaves unlisted copies, which the next
 * open deletes. `suffix` makes the copies' names differ from the files they replace.
 */
export async function rewriteWithout(
  connection: DuckDBConnection,
  directory: string,
  manifest: LakeManifest,
  redactions: readonly LakeRedaction[],
  suffix: string,
): Promise<RewrittenLake> {
  if (!manifest.columns.some(({ name, type }) => name === POSITION_COLUMN && type === 'BIGINT')) return { manifest, obsolete: [], removed: 0 };
  const files: ManifestFile[] = [];
  const obsolete: string[] = [];
  let removed = 0;
  for (const file of manifest.files) {
    const positions = redactions.filter((r) => r.category === file.category && r.position >= file.firstPosition && r.position <= file.lastPosition).map((r) => r.position);
    const gone = positions.length === 0 ? 0 : await countRows(connection, join(directory, ...file.path.split('/')), positions);
    if (gone === 0) {
      files.push(file);
      continue;
    }
    removed += gone;
    obsolete.push(file.path);
    if (gone < file.rows) files.push(await copyWithout(connection, directory, file, positions, gone, suffix));
  }
  if (obsolete.length === 0) return { manifest, obsolete, removed };
  return { manifest: { ...manifest, files }, obsolete, removed };
}

/** Deletes the files a written manifest no longer lists; a crash before leaves them unlisted, and the next open deletes them. */
export async function removeObsolete(directory: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) await unlink(join(directory, ...path.split('/'))).catch(() => undefined);
  if (paths.length > 0) await syncPath(directory);
}

async function countRows(connection: DuckDBConnection, path: string, positions: readonly number[]): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${parquetOf(path)} WHERE ${POSITION_COLUMN} IN (${positions.join(', ')})`);
  return Number(reader.getRowObjects()[0]!['n']);
}

async function copyWithout(connection: DuckDBConnection, directory: string, file: ManifestFile, positions: readonly number[], gone: number, suffix: string): Promise<ManifestFile> {
  const source = join(directory, ...file.path.split('/'));
  const path = file.path.replace(/(-r\d+)?\.parquet$/, `-${suffix}.parquet`);
  // a staging directory, which the next open deletes when a crash leaves it
  const staging = join(directory, `${STAGING_PREFIX}redaction-${suffix}`);
  const written = join(staging, 'part.parquet');
  const target = join(directory, ...path.split('/'));
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    await connection.run(`COPY (SELECT * FROM ${parquetOf(source)} WHERE ${POSITION_COLUMN} NOT IN (${positions.join(', ')})) TO ${sqlString(written)} (FORMAT PARQUET)`);
    await rename(written, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await syncPath(target);
  return { ...file, path, rows: file.rows - gone, bytes: (await stat(target)).size };
}

// the file alone: its path's day= and category= directories are not columns of its rows
function parquetOf(path: string): string {
  return `read_parquet(${sqlString(path)}, hive_partitioning = false)`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
