/** Positions the category index migration fills per statement: bounded work and memory per step on a log of any size. */
export const FILL_BATCH = 100_000;

/** Logs at most this long migrate without a word: a progress line would only be noise. */
export const QUIET_UP_TO = 1_000_000;

/** Where a migration reports its progress on a large log; the default writes to stderr. */
export type MigrationProgress = (line: string) => void;

export const stderrProgress: MigrationProgress = (line) => void process.stderr.write(`${line}\n`);

/**
 * The batches `(after, until]` that cover positions 1 to `head`, each
 * reported once done (every tenth of the log, and on logs above {@link QUIET_UP_TO} only).
 */
export function* fillBatches(head: number, report: MigrationProgress): Generator<{ after: number; until: number }> {
  let nextReport = head / 10;
  for (let after = 0; after < head; after += FILL_BATCH) {
    const until = Math.min(head, after + FILL_BATCH);
    yield { after, until };
    if (head > QUIET_UP_TO && (until >= nextReport || until === head)) {
      report(`tributary: migration 5 indexed the categories of ${until.toLocaleString('en')} of ${head.toLocaleString('en')} positions`);
      nextReport += head / 10;
    }
  }
}
