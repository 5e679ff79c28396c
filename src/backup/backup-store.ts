import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TributaryError, invalidArgument } from '../core/errors.js';
import { copyBatches } from '../store/copy-batches.js';
import type { EventStore } from '../store/event-store.js';
import { sameCheckpoint, type CopyCheckpoint, type LogCopyReads } from '../store/log-copy.js';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupHeader } from './backup-format.js';
import { verifyBackup } from './backup-reader.js';
import { BackupWriter } from './backup-writer.js';

export interface BackupOptions {
  /** The path of an earlier backup of the same store: only what came after it is written (an incremental backup). */
  since?: string;
  /** Events per batch line; default COPY_BATCH_EVENTS (2,000). */
  batchEvents?: number;
  /** Called after each batch is written: positions copied so far of those the backup covers. */
  onProgress?: (progress: BackupProgress) => void;
}

export interface BackupProgress {
  /** Positions of the log written so far, from the backup's `from`. */
  done: number;
  /** Positions the backup covers: `until.position - from.position`. */
  total: number;
  events: number;
}

export interface BackupSummary {
  file: string;
  backupId: string;
  storeId: string;
  /** The backupId of the backup this one follows, or null for a full backup. */
  since: string | null;
  from: CopyCheckpoint;
  until: CopyCheckpoint;
  batches: number;
  events: number;
  changes: number;
  /** The content's size uncompressed, and the file's. */
  bytes: number;
  fileBytes: number;
  seconds: number;
}

/**
 * Writes a backup of `store` to `file`: every event, stream change and
 * copied table, read from one consistent view of the store while appends go
 * on; with `since`, only what came after that earlier backup of the same store.
 * The file appears at its name only once complete (docs/operations.md#backups).
 * Errors: INVALID_ARGUMENT when `file` exists already (a backup never
 * replaces one), UNSUPPORTED_DATABASE for a store that offers no copy source,
 * BACKUP_CORRUPT for a bad `since` file, MIRROR_TARGET_REFUSED (reason
 * `other-source`) when `since` is a backup of another store.
 *
 * ```ts
 * const full = await backupStore(store, './backups/monday.tbk');
 * const tuesday = await backupStore(store, './backups/tuesday.tbk', { since: './backups/monday.tbk' });
 * ```
 */
export async function backupStore(store: Pick<EventStore, 'location' | 'copySource'>, file: string, options: BackupOptions = {}): Promise<BackupSummary> {
  const source = store.copySource;
  if (source === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} cannot be backed up: it offers no copy source; back up its database instead`, { location: store.location });
  }
  // `backup --to monday --since monday` would otherwise replace the base it reads
  if (existsSync(file)) throw invalidArgument('backup file', `${file} exists already: a backup never replaces a file`);
  const started = performance.now();
  const storeId = await source.storeId();
  const base = options.since === undefined ? undefined : await baseOf(options.since, storeId);
  const from = base?.until ?? { position: 0, change: 0 };
  const createdAt = new Date().toISOString();
  return await source.snapshot(async (view) => {
    const head = await view.copyHead();
    // a store's head never goes back; `max` keeps the header consistent if it ever read lower than the earlier backup's
    const until = { position: Math.max(head.head, from.position), change: Math.max(head.lastChange, from.change) };
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      backupId: randomUUID(),
      storeId,
      sourceLocation: store.location,
      createdAt,
      since: base?.backupId ?? null,
      from,
      until,
      head: head.head,
    };
    const writer = await BackupWriter.start(file, header);
    try {
      const counts = await writeBatches(writer, view, header, options);
      await writer.line({ tables: await view.readTables() });
      const fileBytes = await writer.finish(counts);
      const seconds = (performance.now() - started) / 1000;
      return { file, backupId: header.backupId, storeId, since: header.since, from, until, ...counts, bytes: writer.bytes, fileBytes, seconds };
    } catch (error) {
      await writer.abort();
      throw error;
    }
  });
}

async function writeBatches(writer: BackupWriter, view: LogCopyReads, header: BackupHeader, { batchEvents, onProgress }: BackupOptions) {
  const { from, until } = header;
  const counts = { batches: 0, events: 0, changes: 0 };
  let reached = from;
  const total = until.position - from.position;
  const options = { until: { head: until.position, lastChange: until.change }, ...(batchEvents === undefined ? {} : { batchEvents }) };
  for await (const batch of copyBatches(view, from, options)) {
    await writer.line({ batch });
    counts.batches++;
    counts.events += batch.events.length;
    counts.changes += batch.changes.length;
    reached = batch.checkpoint;
    onProgress?.({ done: reached.position - from.position, total, events: counts.events });
  }
  if (!sameCheckpoint(reached, until)) {
    // the last change number belongs to no stream row the view shows (a row removed since): an empty batch records where the copy stands
    await writer.line({ batch: { events: [], changes: [], checkpoint: until, head: header.head, sourceHead: header.head } });
    counts.batches++;
  }
  return counts;
}

async function baseOf(since: string, storeId: string): Promise<{ backupId: string; until: CopyCheckpoint }> {
  const { header } = await verifyBackup(since);
  if (header.storeId !== storeId) {
    throw new TributaryError('MIRROR_TARGET_REFUSED', `${since} is a backup of another store: an incremental backup follows a backup of the same store`, {
      reason: 'other-source',
      expected: storeId,
      found: header.storeId,
    });
  }
  return { backupId: header.backupId, until: header.until };
}
