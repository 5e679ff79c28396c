import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes each file into `directory` (created when missing) so a reader never
 * sees half of one: all are written to temporary names and synced first, then
 * each is renamed over its file. A failure before the renames leaves the old
 * files as they were.
 */
export async function writeFilesAtomically(directory: string, files: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(directory, { recursive: true });
  const suffix = `.${randomBytes(4).toString('hex')}.tmp`;
  const names = Object.keys(files);
  try {
    for (const name of names) {
      const handle = await open(join(directory, name + suffix), 'w');
      try {
        await handle.writeFile(files[name]!);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const name of names) await rename(join(directory, name + suffix), join(directory, name));
  } finally {
    await Promise.all(names.map((name) => rm(join(directory, name + suffix), { force: true })));
  }
}
