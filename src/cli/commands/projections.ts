import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { invalidArgument } from '../../core/errors.js';
import { runDeclaredProjections } from '../../projections/lifecycle/file-projections.js';
import type { ProjectionStatus } from '../../projections/reading/status.js';
import type { EventStore } from '../../store/event-store.js';
import { jsonFlag } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { progressLine } from '../progress-bar.js';
import { projectionsApi, type ProjectionsApi } from '../projections-api.js';

export const projectionsCommand: Command = {
  name: 'projections',
  summary: 'list projections; add one from a file, run the declared ones, rebuild or remove one',
  usage: `tributary projections [--json]
    prints one line per projection: name, version, sink, generation, position/head, lag, state
  tributary projections add <file.json>
    registers the projection the file declares (see docs/projections.md); a higher version rebuilds it
  tributary projections run
    runs every projection added from a file until interrupted (tributary serve runs them too)
  tributary projections remove <name>
    removes the projection: its tables or every lake file, its view and its checkpoints; processes running it
    stop feeding it within a second. Run it again to finish a removal that failed halfway (PROJECTION_BUSY)
  tributary projections rebuild <name>
    builds a new generation from the first event beside the one readers see, switches when it has
    caught up, drops the old one; shows events/s and ETA. A declared projection is fed by this
    command; a code projection by the processes running it. Run it again after an interruption: it resumes.`,
  options: {
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, remote, stdout, signal }) {
    const [action, ...rest] = positionals;
    // adding and hosting projections may start a database; listing, rebuilding and removing need one that exists
    const store = await openStore({ create: action === 'add' || action === 'run' });
    const api = projectionsApi(store, remote);
    try {
      if (action === undefined) return await list(api, values['json'] === true, stdout);
      if (action === 'add') {
        if (rest.length !== 1) throw invalidArgument('projections add', 'takes one definition file');
        const status = await api.add(jsonFlag('file', readFileSync(rest[0]!, 'utf8')));
        const rebuilding = status.rebuilding === null ? '' : `, rebuilding as ${status.rebuilding.generation}`;
        await write(stdout, `projection ${status.name}: ${status.sink}, generation ${status.generation}${rebuilding}\n`);
        return;
      }
      if (action === 'run') {
        if (remote !== undefined) throw invalidArgument('projections run', 'feeds projections from the database (--db); a server (--url) feeds its own');
        return await runUntilAborted(store, signal, stdout);
      }
      if (action === 'rebuild') {
        if (rest.length !== 1) throw invalidArgument('projections rebuild', 'takes one projection name');
        return await rebuild(api, rest[0]!, stdout, signal);
      }
      if (action === 'remove') {
        if (rest.length !== 1) throw invalidArgument('projections remove', 'takes one projection name');
        await api.remove(rest[0]!);
        await write(stdout, `projection ${rest[0]!} removed\n`);
        return;
      }
      throw invalidArgument('projections', `${JSON.stringify(action)} is not add, run, rebuild or remove`);
    } finally {
      await store.close();
    }
  },
};

async function list(api: ProjectionsApi, json: boolean, stdout: Writable): Promise<void> {
  const statuses = await api.list();
  await write(stdout, json ? JSON.stringify(statuses) + '\n' : statuses.map(textLine).join(''));
}

function textLine(status: ProjectionStatus): string {
  const head = status.position + status.lagEvents;
  const rebuilding = status.rebuilding === null ? '' : `\trebuilding=g${status.rebuilding.generation}@${status.rebuilding.position}`;
  const redacted = status.redactions.count === 0 ? '' : `\tredactions=${status.redactions.count}(rebuild advised)`;
  return (
    [status.name, `v${status.version}`, status.mode === 'inline' ? `${status.sink}(inline)` : status.sink, `g${status.generation}`, `${status.position}/${head}`, `lag=${status.lagEvents}`, status.state].join('\t') +
    rebuilding +
    redacted +
    '\n'
  );
}

async function runUntilAborted(store: EventStore, signal: AbortSignal, stdout: Writable): Promise<void> {
  const running = await runDeclaredProjections(store, { onError: (error) => process.stderr.write(`projection: ${String(error)}\n`) });
  await write(stdout, `running ${running.names.join(', ') || 'no declared projection yet'}; projections added later start within a second\n`);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  await running.stop();
}

async function rebuild(api: ProjectionsApi, name: string, stdout: Writable, signal: AbortSignal): Promise<void> {
  const { generation, resumed } = await api.rebuild(name);
  await write(stdout, `${resumed ? 'resuming' : 'starting'} the rebuild of ${name} as generation ${generation}\n`);
  const feeding = await api.feed(name, (error) => process.stderr.write(`projection: ${String(error)}\n`));
  const started = performance.now();
  const tty = (stdout as { isTTY?: boolean }).isTTY === true;
  let first: number | undefined;
  let shownAt = 0;
  try {
    for (;;) {
      const progress = await api.progress(name, generation);
      first ??= progress.checkpoint;
      const now = performance.now();
      if (progress.done || now - shownAt >= 1_000) {
        shownAt = now;
        const line = progressLine(progress.checkpoint, progress.head, progress.checkpoint - first, (now - started) / 1000);
        await write(stdout, tty ? `\r${line}` : `${line}\n`);
      }
      if (progress.done) break;
      if (signal.aborted) {
        await write(stdout, `\ninterrupted: the rebuild of ${name} goes on when this command (or a process running ${name}) starts again\n`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    await write(stdout, `${tty ? '\n' : ''}rebuilt ${name}: generation ${generation} is live (${seconds.toFixed(1)} s)\n`);
  } finally {
    await feeding?.stop();
  }
}
