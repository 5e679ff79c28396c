import { backupStore, type BackupSummary } from '../../backup/backup-store.js';
import { invalidArgument } from '../../core/errors.js';
import { stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { stderrProgress } from '../stderr-progress.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'write a consistent, compressed backup of the store to a file, or only what came after an earlier one',
  usage: `tributary backup --to <file> [--since <earlier backup>] [--json]
    writes every event, stream change, consumer checkpoint, token and registry row of the store
    (--db) to <file>, read from one consistent view while appends go on; a progress bar on stderr.
    The file appears at its name only once complete. --since writes only what came after that
    earlier backup of the same store (restore it on top of the earlier one).
    Prints a one-line summary; --json prints it as JSON.`,
  options: {
    to: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, stdout }) {
    const file = stringFlag(values['to']);
    if (file === undefined || file === '') throw invalidArgument('--to', 'is required: the file to write the backup to');
    if (positionals.length > 0) throw invalidArgument('backup', `takes no arguments (got ${JSON.stringify(positionals[0])}); the file is --to`);
    const store = await openStore({ create: false });
    const progress = stderrProgress();
    try {
      const summary = await backupStore(store, file, { since: stringFlag(values['since']), onProgress: ({ done, total }) => progress.show(done, total) });
      progress.end();
      await write(stdout, values['json'] === true ? JSON.stringify(summary) + '\n' : summaryLine(summary, store.location));
    } finally {
      progress.end();
      await store.close();
    }
  },
};

function summaryLine(summary: BackupSummary, location: string): string {
  const kind = summary.since === null ? 'full backup' : `incremental backup after ${summary.since}`;
  const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
  return (
    `${kind} ${summary.backupId} of ${location} to ${summary.file}: positions ${summary.from.position}–${summary.until.position}, ` +
    `${summary.events.toLocaleString('en-US')} events, ${summary.changes.toLocaleString('en-US')} stream changes, ` +
    `${megabytes(summary.bytes)} MB in ${megabytes(summary.fileBytes)} MB, ${summary.seconds.toFixed(1)} s\n`
  );
}
