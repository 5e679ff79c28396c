import type { Writable } from 'node:stream';
import { invalidArgument } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import { copyTargetOf, mirrorRunning } from '../../mirror/copy-ends.js';
import { mirrorLog, type MirrorProgress } from '../../mirror/mirror-log.js';
import { promoteMirror } from '../../mirror/promote.js';
import { closeInOrder } from '../close-in-order.js';
import { integerFlag, stringFlag } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { write } from '../output.js';
import { progressLine } from '../progress-bar.js';

export const mirrorCommand: Command = {
  name: 'mirror',
  summary: 'copy a store exactly into another and follow it live; promote the copy',
  usage: `tributary mirror --from <sqlite file | postgres URL | http URL> --to <sqlite file | postgres URL> [--once] [--batch N] [--json]
    copies every event (same ids, positions, revisions, recorded times and bytes), stream metadata,
    deletes and scavenged gaps, then follows the source until stopped (Ctrl-C). The target must be
    empty or a mirror of the same source; a mirror killed at any moment resumes where it stopped.
    While it is a mirror the target refuses writes (MIRROR_READ_ONLY). --once stops when up to date.
    Through a server (--from http://…) the token needs read:* (admin to bring consumers and tokens).
tributary mirror status --to <store> [--json]
    the mirror's source, position, the source's head when last seen, lag, and whether it runs.
tributary mirror promote --to <store> [--from <source>] [--timeout S] [--json]
    makes the mirror a store of its own that takes writes, positions continuing the source's. Stop the
    writers first. A running mirror copies the last events and the consumers' checkpoints, parked events,
    tokens and lake projections, then promotes; with no mirror running, --from does that here; with
    neither (the source is lost) the mirror is promoted as it stands. See docs/operations.md.`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    once: { type: 'boolean' },
    batch: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(context) {
    const [action, ...rest] = context.positionals;
    if (rest.length > 0) throw invalidArgument('mirror', `takes at most one action, got ${context.positionals.join(' ')}`);
    const to = stringFlag(context.values['to']);
    if (to === undefined) throw invalidArgument('--to', 'is required: the store the mirror writes into');
    if (action === undefined) return runMirror(context, to);
    if (action === 'status') return status(context, to);
    if (action === 'promote') return promote(context, to);
    throw invalidArgument('mirror', `takes no action, status or promote, got ${JSON.stringify(action)}`);
  },
};

async function runMirror(context: CommandContext, to: string): Promise<void> {
  const from = stringFlag(context.values['from']);
  if (from === undefined) throw invalidArgument('--from', 'is required: the store to mirror');
  const batchEvents = boundedFlag('batch', context.values['batch'], 10_000);
  const json = context.values['json'] === true;
  const source = await context.openLocation(from, { create: false });
  let target: EventStore | undefined;
  try {
    target = await context.openLocation(to);
    const show = progressPrinter(context.stdout, json);
    const result = await mirrorLog(source, target, {
      follow: context.values['once'] !== true,
      signal: context.signal,
      ...(batchEvents === undefined ? {} : { batchEvents }),
      onProgress: show,
    });
    const end = { stopped: true, position: result.checkpoint.position, change: result.checkpoint.change, copied: result.copied };
    await write(context.stdout, json ? JSON.stringify(end) + '\n' : `\nstopped at position ${end.position}: ${end.copied.toLocaleString('en-US')} events copied in this run\n`);
  } finally {
    await closeInOrder([() => target?.close(), () => source.close()]);
  }
}

/** Prints the copy's progress at most once a second: a bar while copying, the lag once following. */
function progressPrinter(stdout: Writable, json: boolean): (progress: MirrorProgress) => void {
  const tty = (stdout as { isTTY?: boolean }).isTTY === true;
  const started = performance.now();
  let shownAt = 0;
  let shownPhase: MirrorProgress['phase'] | undefined;
  return (progress) => {
    const now = performance.now();
    if (progress.phase === shownPhase && now - shownAt < (tty || json ? 1_000 : 10_000)) return;
    shownAt = now;
    const lag = Math.max(0, progress.sourceHead - progress.checkpoint.position);
    let line: string;
    if (json) line = JSON.stringify({ ...progress, lag }) + '\n';
    else if (progress.phase === 'copying') line = progressLine(progress.checkpoint.position, progress.sourceHead, progress.copied, (now - started) / 1000);
    else line = `following: at position ${progress.checkpoint.position}, ${lag} events behind the source, ${progress.copied.toLocaleString('en-US')} copied`;
    if (!json) line = tty ? `\r${line}\u001b[K` : `${line}\n`;
    if (!json && tty && progress.phase !== shownPhase && shownPhase !== undefined) line = `\n${line}`;
    shownPhase = progress.phase;
    // progress is best effort: a slow terminal must not hold the copy back
    void write(stdout, line).catch(() => undefined);
  };
}

async function status(context: CommandContext, to: string): Promise<void> {
  const target = await context.openLocation(to, { create: false });
  try {
    const state = await copyTargetOf(target).copyState();
    const json = context.values['json'] === true;
    if (state === undefined) {
      await write(context.stdout, json ? JSON.stringify({ location: target.location, copy: null }) + '\n' : `${target.location} is not a copy of another store\n`);
      return;
    }
    const report = {
      location: target.location,
      source: state.sourceId,
      sourceLocation: state.sourceLocation,
      role: state.role,
      running: mirrorRunning(state),
      position: state.checkpoint.position,
      change: state.checkpoint.change,
      sourceHead: state.sourceHead,
      lag: Math.max(0, state.sourceHead - state.checkpoint.position),
      lastWrite: new Date(state.updatedAt).toISOString(),
      promoteRequested: state.promoteRequestedAt !== null,
    };
    const text = Object.entries(report).map(([key, value]) => `${key}\t${String(value)}\n`).join('');
    await write(context.stdout, json ? JSON.stringify(report) + '\n' : text);
  } finally {
    await target.close();
  }
}

async function promote(context: CommandContext, to: string): Promise<void> {
  const from = stringFlag(context.values['from']);
  const timeout = boundedFlag('timeout', context.values['timeout'], 86_400);
  const target = await context.openLocation(to, { create: false });
  let source: EventStore | undefined;
  try {
    source = from === undefined ? undefined : await context.openLocation(from, { create: false });
    const result = await promoteMirror(target, { ...(source === undefined ? {} : { source }), ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }) });
    const behind = result.behind > 0 ? `; the source had ${result.behind} events more when last seen, which this store does not have` : '';
    const text = `promoted ${target.location} at position ${result.position} (${result.by})${behind}\n`;
    await write(context.stdout, context.values['json'] === true ? JSON.stringify({ promoted: true, ...result }) + '\n' : text);
  } finally {
    await closeInOrder([() => source?.close(), () => target.close()]);
  }
}

/** A whole-number flag from 1 to `max`, or undefined when not given. */
function boundedFlag(name: string, value: unknown, max: number): number | undefined {
  const number = integerFlag(name, value);
  if (number !== undefined && (number < 1 || number > max)) throw invalidArgument(`--${name}`, `must be from 1 to ${max}, got ${number}`);
  return number;
}
