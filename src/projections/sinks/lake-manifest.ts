import { readFileSync } from 'node:fs';
import { open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakeColumn } from './lake-cells.js';

/** A parquet file of the lake, as its manifest lists it. */
export interface ManifestFile {
  /** Relative to the lake directory, with `/` separators. */
  path: string;
  rows: number;
  bytes: number;
  firstPosition: number;
  lastPosition: number;
  day: string;
  category: string;
}

/** `manifest.json`: the files that make up a lake. A parquet file it does not list is not part of the lake. */
export interface LakeManifest {
  version: 1;
  /** The last log position durably in files (or skipped before them); 0 when none. */
  position: number;
  columns: LakeColumn[];
  files: ManifestFile[];
  updatedAt: string;
  /**
   * How many events of `$audit-redactions` the files already reflect: the
   * redacted events' rows are gone from them. Absent in lakes written before
   * redaction existed, read as 0.
   */
  redactions?: number;
}

const MANIFEST = 'manifest.json';
const MANIFEST_TEMP = 'manifest.json.tmp';
/** Where a roll writes before its files move into place; a crash leaves one behind, and opening removes it. */
export const STAGING_PREFIX = '_staging-';

/**
 * The lake's manifest, or undefined when it has none yet.
 *
 * ```ts
 * readManifest('data/lake/orders-1')?.position // 4711
 * ```
 */
export function readManifest(directory: string): LakeManifest | undefined {
  let text: string;
  try {
    text = readFileSync(join(directory, MANIFEST), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  return JSON.parse(text) as LakeManifest;
}

/** Replaces the manifest atomically: written to a temporary file, fsynced, renamed over. */
export async function writeManifest(directory: string, manifest: LakeManifest): Promise<void> {
  const temp = join(directory, MANIFEST_TEMP);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(directory, MANIFEST));
  await syncPath(directory);
}

/** Deletes what a crash left: parquet files the manifest does not list, staging directories, a half-written manifest. */
export async function removeOrphans(directory: string, manifest: LakeManifest): Promise<void> {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.name === MANIFEST_TEMP || (entry.isDirectory() && entry.name.startsWith(STAGING_PREFIX))) {
      await rm(join(directory, entry.name), { recursive: true, force: true });
    }
  }
  const listed = new Set(manifest.files.map((file) => file.path));
  for (const path of await parquetFiles(directory, '')) {
    if (!listed.has(path)) await unlink(join(directory, ...path.split('/')));
  }
}

async function parquetFiles(root: string, under: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await parquetFiles(root, path)));
    else if (entry.name.endsWith('.parquet')) found.push(path);
  }
  return found;
}

/** fsyncs a file or directory. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// new partition directories must be durable before the manifest names files in them
export async function syncDirectories(directory: string, files: ManifestFile[]): Promise<void> {
  const directories = new Set<string>();
  for (const { path } of files) {
    const parts = path.split('/');
    directories.add(parts[0]!);
    directories.add(`${parts[0]!}/${parts[1]!}`);
  }
  for (const path of directories) await syncPath(join(directory, ...path.split('/')));
  await syncPath(directory);
}

/** The hive directory of a day and category, relative to the lake. */
export function partitionPath(day: string, category: string): string {
  return `day=${day}/category=${hiveValue(category)}`;
}

/**
 * A category as a hive directory value DuckDB reads back unchanged: it decodes `%XX`, and reads
 * NULL, null and __HIVE_DEFAULT_PARTITION__ (before decoding) as SQL NULL, so those get their last letter escaped.
 */
function hiveValue(value: string): string {
  const escaped = value.replace(/[^\p{L}\p{N}_.~-]/gu, percentEncode);
  if (!/^(null|__hive_default_partition__)$/i.test(escaped)) return escaped;
  return escaped.slice(0, -1) + percentEncode(escaped.slice(-1));
}

function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
