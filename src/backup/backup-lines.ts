import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { backupCorrupt } from './backup-format.js';

/** The uncompressed lines of a backup file as raw bytes, without their newline. */
export async function* backupLines(file: string): AsyncGenerator<Buffer> {
  // large chunks: with the 16 KB defaults, inflating costs four times as much
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  let pending: Buffer[] = [];
  let inflated = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      let start = 0;
      let end = chunk.indexOf(10);
      while (end >= 0) {
        const tail = chunk.subarray(start, end);
        yield pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
        pending = [];
        start = end + 1;
        end = chunk.indexOf(10, start);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (error) {
    throw gzipFailure(file, error, inflated);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  // every line a backup writes ends with a newline: a last one without is cut short
  if (pending.length > 0) throw backupCorrupt(file, 'truncated', 'its last line is cut short');
}

function gzipFailure(file: string, error: unknown, inflated: number) {
  const code = (error as { code?: unknown }).code;
  const message = (error as Error).message;
  if (code === 'Z_BUF_ERROR') return backupCorrupt(file, 'truncated', `the gzip stream ends early (${message})`, {}, error);
  if (code === 'Z_DATA_ERROR' && inflated === 0) return backupCorrupt(file, 'not-gzip', `it is not a gzip file (${message})`, {}, error);
  if (code === 'Z_DATA_ERROR') return backupCorrupt(file, 'damaged', `the gzip stream is damaged (${message})`, {}, error);
  return error;
}
