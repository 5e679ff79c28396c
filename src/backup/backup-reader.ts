import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { invalidArgument } from '../core/errors.js';
import { sameCheckpoint, type CopiedTable, type CopyBatch, type CopyCheckpoint } from '../store/log-copy.js';
import { BACKUP_FORMAT, BACKUP_VERSION, backupCorrupt, type BackupContents, type BackupHeader, type BackupTrailer } from './backup-format.js';
import { backupLines } from './backup-lines.js';

/** What reading a backup yields, in file order: its header, each batch, the tables; it returns once the trailer checked out. */
export type BackupItem = { header: BackupHeader } | { batch: CopyBatch } | { tables: CopiedTable[] };

/**
 * Reads a backup file and checks it as it goes: gzip, the header's format and
 * version, every line's shape, batches chained from the header's `from` to
 * its `until`, the trailer's counts and SHA-256. Any failure is
 * BACKUP_CORRUPT with a `reason`; a consumer that must write nothing of a bad
 * file reads it through once first ({@link verifyBackup}).
 */
export async function* readBackup(file: string): AsyncGenerator<BackupItem, BackupContents> {
  const fileBytes = await sizeOf(file);
  const hash = createHash('sha256');
  const corrupt = (reason: Parameters<typeof backupCorrupt>[1], message: string, details?: Record<string, unknown>) => backupCorrupt(file, reason, message, details);
  let header: BackupHeader | undefined;
  let trailer: BackupTrailer | undefined;
  let tables = false;
  let checkpoint: CopyCheckpoint = { position: 0, change: 0 };
  let counts = { batches: 0, events: 0, changes: 0 };
  let bytes = 0;
  let line = 0;
  for await (const raw of backupLines(file)) {
    line++;
    if (trailer !== undefined) throw corrupt('malformed', `line ${line} follows the trailer`, { line });
    const value = parseLine(raw, header === undefined);
    if (isObject(value) && header !== undefined && 'end' in value) {
      trailer = trailerOf(value['end'], corrupt, line);
      const sha256 = hash.digest('hex');
      if (sha256 !== trailer.sha256) throw corrupt('checksum-mismatch', 'its content does not match its SHA-256 checksum', { expected: trailer.sha256, found: sha256 });
      if (!tables) throw corrupt('malformed', 'it has no tables line', { line });
      for (const key of ['batches', 'events', 'changes'] as const) {
        if (counts[key] !== trailer[key]) throw corrupt('inconsistent', `the trailer counts ${trailer[key]} ${key}, the file holds ${counts[key]}`, { expected: trailer[key], found: counts[key] });
      }
      if (!sameCheckpoint(checkpoint, header.until)) throw corrupt('inconsistent', 'its batches do not reach the checkpoint its header names', { expected: header.until, found: checkpoint });
      continue;
    }
    // every line before the trailer is in the checksum, byte for byte
    hash.update(raw).update('\n');
    bytes += raw.length + 1;
    if (header === undefined) {
      header = headerOf(value, corrupt);
      checkpoint = header.from;
      yield { header };
    } else if (isObject(value) && 'batch' in value && !tables) {
      const batch = value['batch'];
      checkBatch(batch, checkpoint, (message) => corrupt('inconsistent', `line ${line}: ${message}`, { line }));
      checkpoint = batch.checkpoint;
      counts = { batches: counts.batches + 1, events: counts.events + batch.events.length, changes: counts.changes + batch.changes.length };
      yield { batch };
    } else if (isObject(value) && 'tables' in value && Array.isArray(value['tables']) && !tables) {
      tables = true;
      yield { tables: value['tables'] as CopiedTable[] };
    } else {
      throw corrupt('malformed', `line ${line} is neither a batch before the tables, the tables nor the trailer`, { line });
    }
  }
  if (header === undefined) throw corrupt('truncated', 'it is empty');
  if (trailer === undefined) throw corrupt('truncated', `it ends after line ${line}, before its trailer`, { line });
  return { header, trailer, fileBytes, bytes };

  function parseLine(raw: Buffer, first: boolean): unknown {
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      // a first line that is not JSON is another kind of file; a later one, a damaged or cut backup
      throw first ? corrupt('not-a-backup', 'its first line is not a Tributary backup header') : corrupt('malformed', `line ${line} is not JSON`, { line });
    }
  }
}

/** Reads the whole file through and checks it; resolves to what it holds. BACKUP_CORRUPT when anything is wrong. */
export async function verifyBackup(file: string): Promise<BackupContents> {
  const reading = readBackup(file);
  for (;;) {
    const next = await reading.next();
    if (next.done === true) return next.value;
  }
}

type Corrupt = (reason: Parameters<typeof backupCorrupt>[1], message: string, details?: Record<string, unknown>) => Error;

function headerOf(value: unknown, corrupt: Corrupt): BackupHeader {
  if (!isObject(value) || value['format'] !== BACKUP_FORMAT) throw corrupt('not-a-backup', 'its first line is not a Tributary backup header');
  if (value['version'] !== BACKUP_VERSION) {
    throw corrupt('unsupported-version', `it is version ${JSON.stringify(value['version'])} of the format; this build reads version ${BACKUP_VERSION}`, {
      expected: BACKUP_VERSION,
      found: value['version'],
    });
  }
  const strings = ['backupId', 'storeId', 'sourceLocation', 'createdAt'].every((key) => typeof value[key] === 'string');
  const since = value['since'] === null || typeof value['since'] === 'string';
  if (!strings || !since || !isCheckpoint(value['from']) || !isCheckpoint(value['until']) || !isCount(value['head'])) {
    throw corrupt('malformed', 'its header lacks a field or has one of the wrong kind', { line: 1 });
  }
  return value as unknown as BackupHeader;
}

function trailerOf(value: unknown, corrupt: Corrupt, line: number): BackupTrailer {
  const counts = isObject(value) && isCount(value['batches']) && isCount(value['events']) && isCount(value['changes']);
  if (!counts || typeof value['sha256'] !== 'string') throw corrupt('malformed', 'its trailer lacks a field or has one of the wrong kind', { line });
  return value as unknown as BackupTrailer;
}

/** A batch's events and changes follow on from `from` and stay within its own checkpoint. */
function checkBatch(batch: unknown, from: CopyCheckpoint, inconsistent: (message: string) => Error): asserts batch is CopyBatch {
  if (!isObject(batch) || !Array.isArray(batch['events']) || !Array.isArray(batch['changes']) || !isCheckpoint(batch['checkpoint'])) {
    throw inconsistent('a batch lacks its events, changes or checkpoint');
  }
  if (!isCount(batch['head']) || !isCount(batch['sourceHead'])) throw inconsistent('a batch lacks its head');
  const checkpoint = batch['checkpoint'];
  if (checkpoint.position < from.position || checkpoint.change < from.change) throw inconsistent('a batch goes back before the previous one');
  let position = from.position;
  for (const row of batch['events'] as unknown[]) {
    if (!Array.isArray(row) || row.length !== 9 || !isCount(row[0]) || typeof row[7] !== 'string') throw inconsistent('an event row is malformed');
    if (row[0] <= position || row[0] > checkpoint.position) throw inconsistent(`event at position ${row[0]} is out of order`);
    position = row[0];
  }
  let change = from.change;
  for (const stream of batch['changes'] as unknown[]) {
    if (!isObject(stream) || typeof stream['name'] !== 'string' || !isCount(stream['changed']) || !isCount(stream['changedAt'])) {
      throw inconsistent('a stream change is malformed');
    }
    if (stream['changed'] <= change || stream['changed'] > checkpoint.change) throw inconsistent(`stream change ${stream['changed']} is out of order`);
    change = stream['changed'];
  }
}

function isCheckpoint(value: unknown): value is CopyCheckpoint {
  return isObject(value) && isCount(value['position']) && isCount(value['change']);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw invalidArgument('backup file', `${file} does not exist`);
    throw error;
  }
}
