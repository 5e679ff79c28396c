import { verifyBackup } from '../../backup/backup-reader.js';
import { restoreVerified, type RestoreSummary } from '../../backup/restore-backup.js';
import { invalidArgument } from '../../core/errors.js';
import { onePositional, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { stderrProgress } from '../stderr-progress.js';

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a backup into an empty store, or an incremental backup on top of its restored base',
  usage: `tributary restore <file> --to <sqlite file | postgres URL> [--json]
    checks the whole backup first (a damaged or cut file is BACKUP_CORRUPT and nothing is written),
    then writes it into the store --to names (the global --db is not used): a full backup into an
    empty store, an incremental one on top of the restore of the backup it follows. Run again after
    it stopped halfway, it goes on from the last batch written. Either backend restores a backup of
    either. A progress bar on stderr; a one-line summary, or --json.`,
  options: {
    to: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openLocation, stdout }) {
    const file = onePositional(positionals, 'backup file');
    const location = stringFlag(values['to']);
    if (location === undefined || location === '') throw invalidArgument('--to', 'is required: the SQLite file or postgres:// URL to restore into');
    // checked before the target is opened, so a bad file creates no database either
    const contents = await verifyBackup(file);
    const target = await openLocation(location);
    const progress = stderrProgress();
    try {
      const summary = await restoreVerified(file, contents, target, { onProgress: ({ done, total }) => progress.show(done, total) });
      progress.end();
      await write(stdout, values['json'] === true ? JSON.stringify({ ...summary, target: target.location }) + '\n' : summaryLine(summary, target.location));
    } finally {
      progress.end();
      await target.close();
    }
  },
};

function summaryLine(summary: RestoreSummary, location: string): string {
  const kind = summary.since === null ? 'full backup' : 'incremental backup';
  return (
    `restored ${kind} ${summary.backupId} into ${location}: ${summary.events.toLocaleString('en-US')} events, ` +
    `${summary.changes.toLocaleString('en-US')} stream changes, now at position ${summary.checkpoint.position}, ${summary.seconds.toFixed(1)} s\n`
  );
}
