import { invalidArgument } from '../../core/errors.js';
import { diffBranches } from '../../open/diff-branches.js';
import type { EventStore } from '../../store/event-store.js';
import type { CommandContext } from '../context.js';
import { stringFlag } from '../arguments.js';
import { diffText } from '../diff-text.js';
import { write } from '../output.js';
import { projectionToReplay } from '../projection-to-replay.js';
import { stderrProgress } from '../stderr-progress.js';

/** The flags `branch diff` takes, for the `branch` command's `options`. */
export const BRANCH_DIFF_OPTIONS = {
  json: { type: 'boolean' },
  file: { type: 'string' },
} as const;

/** The lines `branch diff` adds to the `branch` command's usage. */
export const BRANCH_DIFF_USAGE = `tributary branch diff <projection> <a|main> <b|main> [--json] [--file <projection.json>]
    replays the projection (one added from a file, or the one --file declares) from a and from b into
    temporary scratch stores and prints the rows, documents or entries b adds, removes and changes
    against a, keyed by the projection's key (+ added, - removed, ~ changed); main is the real log.
    --json prints { projection, sink, keyedBy, added, removed, changed, truncated }. Nothing is written
    to the store or its branches`;

/**
 * `tributary branch diff <projection> <a|main> <b|main>`: `args` are the
 * positionals after `diff`; `--json` and `--file` come in `context.values`.
 * Opens the store and closes it; `branchDiff` works on one already open.
 *
 * ```ts
 * if (action === 'diff') return runBranchDiff(context, positionals.slice(1));
 * ```
 */
export async function runBranchDiff(context: CommandContext, args: readonly string[]): Promise<void> {
  const store = await context.openStore({ create: false });
  try {
    await branchDiff(store, args, context);
  } finally {
    await store.close();
  }
}

/** `branch diff` on an open store: replays both sides, prints the diff as text or JSON. */
export async function branchDiff(store: EventStore, args: readonly string[], context: Pick<CommandContext, 'values' | 'stdout' | 'signal'>): Promise<void> {
  const { values, stdout, signal } = context;
  if (args.length !== 3) throw invalidArgument('branch diff', 'takes <projection> <a|main> <b|main>');
  const [name, a, b] = args as [string, string, string];
  const file = stringFlag(values['file']);
  const projection = await projectionToReplay(store, file === undefined ? name : undefined, file);
  if (projection.name !== name) throw invalidArgument('--file', `declares projection ${JSON.stringify(projection.name)}, not ${JSON.stringify(name)}`);
  const progress = stderrProgress();
  let diff;
  try {
    diff = await diffBranches(store, projection, a, b, { signal, onProgress: (_side, { position, until }) => progress.show(position, until) });
  } finally {
    progress.end();
  }
  await write(stdout, values['json'] === true ? JSON.stringify(diff) + '\n' : diffText(diff, a, b));
}
