import { TributaryError } from '../core/errors.js';
import type { CopiedTable, CopyBatch, CopyCheckpoint } from '../store/log-copy.js';

/**
 * A backup file: a gzip stream of NDJSON lines. The first line is a
 * {@link BackupHeader}, then one `{"batch": CopyBatch}` line per batch of the
 * copy, one `{"tables": CopiedTable[]}` line, and last a
 * `{"end": BackupTrailer}` line whose `sha256` covers the exact uncompressed
 * bytes of every line before it. Events stay their stored rows, so a restore
 * writes them byte for byte.
 *
 * ```text
 * {"format":"tributary-backup","version":1,"backupId":"…","storeId":"…",…}
 * {"batch":{"events":[[1,"…","account-1",0,"Opened",1733300000000,null,"{…}",null]],"changes":[],…}}
 * {"tables":[{"table":"consumers","columns":[…],"rows":[…]}]}
 * {"end":{"batches":1,"events":1,"changes":0,"sha256":"…"}}
 * ```
 */
export const BACKUP_FORMAT = 'tributary-backup';

/** The version this build writes and reads; a reader refuses any other. */
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  /** A random UUID naming this backup; an incremental backup names the one it follows in `since`. */
  backupId: string;
  /** The id of the store backed up (LogCopySource.storeId). */
  storeId: string;
  /** Where that store was, for people (no credentials). */
  sourceLocation: string;
  /** When the backup started, ISO 8601 UTC. */
  createdAt: string;
  /** The backupId of the backup this one follows, or null for a full backup. */
  since: string | null;
  /** Where the copy starts: zero for a full backup, the `until` of the one it follows otherwise. */
  from: CopyCheckpoint;
  /** Where it ends: every event and stream change of the store up to here is in the file. */
  until: CopyCheckpoint;
  /** The store's last handed-out position when the backup was taken. */
  head: number;
}

/** The last line's counts and checksum. */
export interface BackupTrailer {
  batches: number;
  events: number;
  changes: number;
  /** Hex SHA-256 of the uncompressed bytes of every line before the trailer, newlines included. */
  sha256: string;
}

/** The lines of a backup file, as they are parsed. */
export type BackupLine = { batch: CopyBatch } | { tables: CopiedTable[] } | { end: BackupTrailer };

/** Why a backup file was refused (BACKUP_CORRUPT's `reason`). */
export type CorruptionReason =
  | 'not-gzip'
  | 'damaged'
  | 'truncated'
  | 'not-a-backup'
  | 'unsupported-version'
  | 'malformed'
  | 'inconsistent'
  | 'checksum-mismatch';

export function backupCorrupt(file: string, reason: CorruptionReason, message: string, details: Record<string, unknown> = {}, cause?: unknown): TributaryError {
  return new TributaryError('BACKUP_CORRUPT', `${file} cannot be restored: ${message}`, { ...details, file, reason }, cause === undefined ? undefined : { cause });
}

/** What a backup holds, as its header and trailer say once the whole file was checked. */
export interface BackupContents {
  header: BackupHeader;
  trailer: BackupTrailer;
  /** The file's size in bytes, and its content uncompressed. */
  fileBytes: number;
  bytes: number;
}
