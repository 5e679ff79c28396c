#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE } from '../backends/open-store.js';
import { openStore } from '../open/open-store.js';
import { TributaryError, invalidArgument } from '../core/errors.js';
import { stringFlag } from './arguments.js';
import type { Command } from './context.js';
import { errorLine } from './output.js';

/** Each command's module, loaded when that command runs: `read` pays for no server, lake or other backend. In the order help lists them. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  append: async () => (await import('./commands/append.js')).appendCommand,
  'append-many': async () => (await import('./commands/append-many.js')).appendManyCommand,
  read: async () => (await import('./commands/read.js')).readCommand,
  'read-all': async () => (await import('./commands/read-all.js')).readAllCommand,
  tail: async () => (await import('./commands/tail.js')).tailCommand,
  streams: async () => (await import('./commands/streams.js')).streamsCommand,
  categories: async () => (await import('./commands/categories.js')).categoriesCommand,
  consumers: async () => (await import('./commands/consumers.js')).consumersCommand,
  parked: async () => (await import('./commands/parked.js')).parkedCommand,
  projections: async () => (await import('./commands/projections.js')).projectionsCommand,
  search: async () => (await import('./commands/search.js')).searchCommand,
  lake: async () => (await import('./commands/lake.js')).lakeCommand,
  replay: async () => (await import('./commands/replay.js')).replayCommand,
  schema: async () => (await import('./commands/schema.js')).schemaCommand,
  tokens: async () => (await import('./commands/tokens.js')).tokensCommand,
  mirror: async () => (await import('./commands/mirror.js')).mirrorCommand,
  backup: async () => (await import('./commands/backup.js')).backupCommand,
  restore: async () => (await import('./commands/restore.js')).restoreCommand,
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand,
  catalog: async () => (await import('./commands/catalog.js')).catalogCommand,
  branch: async () => (await import('./commands/branch.js')).branchCommand,
  privacy: async () => (await import('./commands/privacy.js')).privacyCommand,
  forget: async () => (await import('./commands/privacy.js')).forgetCommand,
  event: async () => (await import('./commands/event.js')).eventCommand,
  reverse: async () => (await import('./commands/reverse.js')).reverseCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  redact: async () => (await import('./commands/redact.js')).redactCommand,
};

const GLOBAL_OPTIONS = {
  db: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function help(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const lines = [
    'tributary: an event store. Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(11)} ${command.summary}`),
    '',
    `Every command takes --db <sqlite file | postgres:// URL> (or TRIBUTARY_DB; default ${DEFAULT_DATABASE}),`,
    'or --url http://host:2113 [--token trb_…] (or TRIBUTARY_URL, TRIBUTARY_TOKEN) to work through a server.',
    'tributary <command> --help shows its flags.',
  ];
  return lines.join('\n') + '\n';
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  try {
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (load === undefined) throw invalidArgument('command', `${JSON.stringify(name)} is unknown; try tributary --help`);
    const command = await load();
    const { values, positionals } = parseFlags(command, rest);
    if (values['help'] === true) {
      process.stdout.write(command.usage + '\n');
      return 0;
    }
    // empty TRIBUTARY_* variables count as unset; --url (a server) wins over --db
    const location =
      stringFlag(values['url']) ?? stringFlag(values['db']) ?? (process.env['TRIBUTARY_URL'] || process.env['TRIBUTARY_DB'] || DEFAULT_DATABASE);
    const token = stringFlag(values['token']) ?? (process.env['TRIBUTARY_TOKEN'] || undefined);
    const interrupted = new AbortController();
    const stop = () => interrupted.abort();
    process.once('SIGINT', stop).once('SIGTERM', stop);
    // a closed pipe (`tributary tail | head`) ends the command instead of crashing it
    process.stdout.once('error', stop);
    try {
      await command.run({
        positionals,
        values,
        openStore: (options) => openStore(location, { token, create: options?.create }),
        openLocation: (other, options) => openStore(other, { token, create: options?.create }),
        remote: /^https?:\/\//i.test(location) ? { url: location, token } : undefined,
        stdin: process.stdin,
        stdout: process.stdout,
        signal: interrupted.signal,
      });
    } finally {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      process.stdout.off('error', stop);
    }
    return 0;
  } catch (error) {
    process.stderr.write(errorLine(error) + '\n');
    return error instanceof TributaryError && error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}

function parseFlags(command: Command, args: string[]) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw invalidArgument(command.name, `${(error as Error).message}; try tributary ${command.name} --help`);
  }
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

process.exitCode = await main(process.argv.slice(2));
