import { TributaryError, invalidArgument } from '../../core/errors.js';
import { parseExpectedRevision } from '../../core/expected-revision.js';
import type { BranchInfo, Branches } from '../../store/branches.js';
import type { EventStore } from '../../store/event-store.js';
import { stringFlag } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { write } from '../output.js';
import { eventsFrom } from './append.js';
import { BRANCH_DIFF_OPTIONS, BRANCH_DIFF_USAGE, branchDiff } from './branch-diff.js';

export const branchCommand: Command = {
  name: 'branch',
  summary: 'create, append to, list, show, diff and delete what-if branches of the log',
  usage: `tributary branch create <name> [--at <time|position>]
tributary branch append <name> <stream> [--expected-revision any|no_stream|stream_exists|N]
tributary branch list [--json]
tributary branch show <name>
tributary branch delete <name>
    a branch sees the real log up to its fork point (--at: a position from 0 up to the head, or an ISO 8601 time;
    default the head), followed by its own events; the real log, its positions and its consumers never see them
    append reads events as NDJSON on stdin (or --type T --data JSON ...), exactly as \`append\`, and checks the
    expected revision against the branch's view of the stream
    read a branch with \`read\`, \`read-all\` and \`tail\` --branch <name>
${BRANCH_DIFF_USAGE}`,
  options: {
    at: { type: 'string' },
    'expected-revision': { type: 'string' },
    type: { type: 'string' },
    data: { type: 'string' },
    metadata: { type: 'string' },
    id: { type: 'string' },
    tag: { type: 'string', multiple: true },
    ...BRANCH_DIFF_OPTIONS,
  },
  async run(context) {
    const [action, ...rest] = context.positionals;
    const run = ACTIONS[action ?? ''];
    if (run === undefined) throw invalidArgument('branch', `takes ${Object.keys(ACTIONS).join(', ')}, got ${JSON.stringify(action ?? '')}`);
    // only creating a branch may create the database: the others on a mistyped path must not
    const store = await context.openStore({ create: action === 'create' });
    try {
      await run(store, rest, context);
    } finally {
      await store.close();
    }
  },
};

type Action = (store: EventStore, args: string[], context: CommandContext) => Promise<void>;

const ACTIONS: Record<string, Action> = {
  async create(store, args, { values, stdout }) {
    const info = await branchesOf(store).create(oneName(args, 'create'), { at: stringFlag(values['at']) });
    await write(stdout, JSON.stringify(info) + '\n');
  },
  async append(store, args, { values, stdin, stdout }) {
    if (args.length !== 2) throw invalidArgument('branch append', 'takes a branch name and a stream');
    const [name, stream] = args as [string, string];
    const expected = stringFlag(values['expected-revision']);
    const expectedRevision = expected === undefined ? 'any' : parseExpectedRevision(expected);
    const events = await eventsFrom(values, stdin);
    const result = await branchOf(store, name).append(stream, events, { expectedRevision });
    await write(stdout, JSON.stringify(result) + '\n');
  },
  async list(store, args, { values, stdout }) {
    if (args.length > 0) throw invalidArgument('branch list', `takes no arguments, got ${args.join(' ')}`);
    const branches = await branchesOf(store).list();
    await write(stdout, values['json'] === true ? JSON.stringify(branches) + '\n' : branches.map(line).join(''));
  },
  async show(store, args, { stdout }) {
    await write(stdout, JSON.stringify(await branchesOf(store).describe(oneName(args, 'show'))) + '\n');
  },
  diff: branchDiff,
  async delete(store, args, { stdout }) {
    const name = oneName(args, 'delete');
    await branchesOf(store).delete(name);
    await write(stdout, `deleted ${name}\n`);
  },
};

/** One branch a line: name, fork position, events of its own, categories touched, creator. */
function line(branch: BranchInfo): string {
  return [branch.name, `fork ${branch.forkPosition}`, `${branch.events} events`, branch.categories.join(',') || '-', branch.createdBy ?? '-'].join('\t') + '\n';
}

function oneName(args: string[], action: string): string {
  if (args.length !== 1) throw invalidArgument(`branch ${action}`, 'takes one branch name');
  return args[0]!;
}

function branchesOf(store: EventStore): Branches {
  if (store.branches === undefined) throw noBranches(store);
  return store.branches;
}

/** The branch `name` of the store, for `--branch` on the reading commands; the store itself without one. */
export function branchOf(store: EventStore, name: string | undefined): EventStore {
  if (name === undefined) return store;
  if (store.branch === undefined) throw noBranches(store);
  return store.branch(name);
}

function noBranches(store: EventStore): TributaryError {
  return new TributaryError('BRANCH_UNSUPPORTED', `${store.location} keeps no branches`, { branch: null, operation: 'branches' });
}
