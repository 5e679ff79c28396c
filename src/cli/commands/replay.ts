import { statSync } from 'node:fs';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import { openScratchStore } from '../../open/scratch-store.js';
import type { EventStore } from '../../store/event-store.js';
import { namedSource } from '../../time/named-sources.js';
import { replayProjection, type ReplayResult } from '../../time/replay.js';
import { replayUntil } from '../../time/replay-until.js';
import { settleReplayable, type DeclaredFile } from '../../time/replayable.js';
import { stringFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { projectionToReplay } from '../projection-to-replay.js';
import { stderrProgress } from '../stderr-progress.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'build a projection as it stood at a point into a scratch store, writing nothing to this one',
  usage: `tributary replay (--projection <name> | --file <projection.json>) --into <scratch> [--until <time|position>] [--branch <b>]
    builds the projection from this store's log up to --until (an ISO 8601 time or a position; default the head)
    into a scratch store that must be empty: a SQLite file or postgres:// URL for a table, documents or search
    projection (read it with the usual tools, --db <scratch>), a directory for a lake projection (query it with
    tributary lake query --dir <dir>). --projection names one added from a file (tributary projections add);
    --file takes the file itself. --branch replays a what-if branch instead of the real log.
    Nothing is written to this store: no checkpoint, registry row, consumer or file. A progress bar shows on stderr`,
  options: {
    projection: { type: 'string' },
    file: { type: 'string' },
    into: { type: 'string' },
    until: { type: 'string' },
    branch: { type: 'string' },
  },
  async run({ values, positionals, openStore, openLocation, stdout, signal }) {
    if (positionals.length > 0) throw invalidArgument('replay', `takes flags only, got ${JSON.stringify(positionals[0])}`);
    const into = stringFlag(values['into']);
    if (into === undefined || into === '') throw invalidArgument('--into', 'is required: a SQLite file, a postgres:// URL or, for a lake projection, a directory');
    const store = await openStore({ create: false });
    try {
      const file = await projectionToReplay(store, stringFlag(values['projection']), stringFlag(values['file']));
      const lake = settleReplayable(file).definition.sink.storage === 'lake';
      const branch = stringFlag(values['branch']);
      const source = branch === undefined ? store : await namedSource(store, branch);
      // settled before the scratch is opened, so a bad --until creates no scratch database
      const until = await replayUntil(source, stringFlag(values['until']));
      const progress = stderrProgress();
      const onProgress = ({ position }: { position: number }) => progress.show(position, until);
      let result: ReplayResult;
      try {
        result = lake ? await intoLake(source, file, into, until, onProgress, signal) : await intoStore(source, file, into, until, onProgress, signal, openLocation);
      } catch (error) {
        if (!signal.aborted) throw error;
        process.stderr.write('\ninterrupted: the scratch store keeps what was built so far\n');
        return;
      } finally {
        progress.end();
      }
      const where = lake ? `${into} (tributary lake query --dir ${into} "SELECT * FROM ${result.projection}")` : into;
      const parked = result.parked === 0 ? '' : `; ${result.parked} events parked, see tributary parked --db ${into}`;
      await write(stdout, `replayed ${result.projection} up to position ${result.until} into ${where}${parked}\n`);
    } finally {
      await store.close();
    }
  },
};

type OnProgress = (progress: { position: number }) => void;

/** A lake's files go to the directory; its registry row and checkpoint to a temporary store deleted afterwards. */
async function intoLake(source: EventStore, file: DeclaredFile, into: string, until: number, onProgress: OnProgress, signal: AbortSignal): Promise<ReplayResult> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(into)) throw refusedInto(into, 'a lake projection replays into a directory, not a database');
  const scratch = await openScratchStore();
  try {
    return await replayProjection(source, file, { into: scratch.store, lakeDirectory: into, until, onProgress, signal });
  } finally {
    await scratch.dispose();
  }
}

async function intoStore(
  source: EventStore,
  file: DeclaredFile,
  into: string,
  until: number,
  onProgress: OnProgress,
  signal: AbortSignal,
  openLocation: (location: string, options?: { create?: boolean }) => Promise<EventStore>,
): Promise<ReplayResult> {
  if (isDirectory(into)) throw refusedInto(into, 'is a directory: a table, documents or search projection replays into a SQLite file or a postgres:// URL');
  const scratch = await openLocation(into);
  try {
    return await replayProjection(source, file, { into: scratch, until, onProgress, signal });
  } finally {
    await scratch.close();
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function refusedInto(into: string, reason: string): TributaryError {
  return new TributaryError('INVALID_REPLAY_TARGET', `--into ${into}: ${reason}`, { into, reason });
}
