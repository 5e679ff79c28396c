// The disk's sequential write rate, the backup's baseline: `megabytes` written in 1 MB chunks to a file beside
// the benchmark's logs, then fsync, all timed; the file is deleted after.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Figures } from './interleave.js';
import { DATA } from './log-cache.js';
import { timed } from './measure.js';

const CHUNK = 1 << 20;

/** Writes `megabytes` MB and fsyncs them; answers `bytesPerSecond` and what was written. */
export async function diskWriteRate(megabytes: number): Promise<Figures> {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, `disk-rate-${process.pid}.tmp`);
  // random bytes, so no layer below can make the write smaller than it is
  const chunk = randomBytes(CHUNK);
  try {
    const seconds = await timed(() => {
      const fd = openSync(file, 'w');
      try {
        for (let i = 0; i < megabytes; i++) writeSync(fd, chunk);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
    return { bytesPerSecond: (megabytes * CHUNK) / seconds, bytes: megabytes * CHUNK, seconds };
  } finally {
    rmSync(file, { force: true });
  }
}
