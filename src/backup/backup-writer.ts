import { createHash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { BackupHeader, BackupLine, BackupTrailer } from './backup-format.js';

/** gzip level 1: on event JSON it compresses several times faster than 6 for a file about a quarter larger (docs/operations.md#backups). */
export const BACKUP_GZIP_LEVEL = 1;

/** Lines being compressed at once, on libuv's thread pool, while the next batch is read. */
const IN_FLIGHT = 4;

const gzipAsync = promisify(gzip);

/**
 * Writes a backup file line by line: into `<file>.partial`, renamed over
 * `file` only once the trailer is on disk, so a file at the final name is
 * always whole. Each line is its own gzip member (a gzip file may hold many,
 * and every gunzip reads them as one stream), so several compress in
 * parallel on the thread pool; they are written in order. Abort removes the
 * partial file.
 */
export class BackupWriter {
  private readonly hash = createHash('sha256');
  private readonly compressing: Promise<Buffer>[] = [];
  /** Uncompressed bytes written so far. */
  bytes = 0;
  /** Bytes of the file written so far. */
  fileBytes = 0;

  private constructor(
    private readonly file: string,
    private readonly partial: string,
    private readonly handle: FileHandle,
  ) {}

  /** Starts the file with its header. */
  static async start(file: string, header: BackupHeader): Promise<BackupWriter> {
    const partial = `${file}.partial`;
    const writer = new BackupWriter(file, partial, await open(partial, 'w'));
    await writer.line(header);
    return writer;
  }

  /** Appends one batch, tables or trailer line. */
  async line(value: BackupHeader | BackupLine): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(value) + '\n', 'utf8');
    if (!('end' in value)) this.hash.update(bytes);
    this.bytes += bytes.length;
    // 256 KB output pieces: the 16 KB default makes the main thread collect ten times as many
    const compressed = gzipAsync(bytes, { level: BACKUP_GZIP_LEVEL, chunkSize: 256 * 1024 });
    // awaited in order below; not unhandled meanwhile if a later line fails first
    compressed.catch(() => undefined);
    this.compressing.push(compressed);
    if (this.compressing.length >= IN_FLIGHT) await this.writeOldest();
  }

  /** Writes the trailer, flushes the file to disk and gives it its final name; resolves to the file's size. */
  async finish(counts: Omit<BackupTrailer, 'sha256'>): Promise<number> {
    await this.line({ end: { ...counts, sha256: this.hash.digest('hex') } });
    while (this.compressing.length > 0) await this.writeOldest();
    await this.handle.sync();
    await this.handle.close();
    await rename(this.partial, this.file);
    // the rename itself is durable only once the folder is flushed
    await fsync(dirname(this.file));
    return this.fileBytes;
  }

  /** Stops writing and removes the partial file. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.compressing.splice(0));
    await this.handle.close().catch(() => undefined);
    await rm(this.partial, { force: true });
  }

  private async writeOldest(): Promise<void> {
    const compressed = await this.compressing.shift()!;
    for (let offset = 0; offset < compressed.length; ) offset += (await this.handle.write(compressed, offset)).bytesWritten;
    this.fileBytes += compressed.length;
  }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
