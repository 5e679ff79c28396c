#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE, openStore } from '../backends/open-store.js';
import { TributaryError, invalidArgument } from '../core/errors.js';
import { stringFlag } from './arguments.js';
import { appendCommand } from './commands/append.js';
import { categoriesCommand } from './commands/categories.js';
import { consumersCommand } from './commands/consumers.js';
import { migrateCommand } from './commands/migrate.js';
import { lakeCommand } from './commands/lake.js';
import { parkedCommand } from './commands/parked.js';
import { projectionsCommand } from './commands/projections.js';
import { readAllCommand } from './commands/read-all.js';
import { readCommand } from './commands/read.js';
import { searchCommand } from './commands/search.js';
import { serveCommand } from './commands/serve.js';
import { streamsCommand } from './commands/streams.js';
import { tailCommand } from './commands/tail.js';
import { tokensCommand } from './commands/tokens.js';
import type { Command } from './context.js';
import { errorLine } from './output.js';

const COMMANDS: readonly Command[] = [
  serveCommand,
  appendCommand,
  readCommand,
  readAllCommand,
  tailCommand,
  streamsCommand,
  categoriesCommand,
  consumersCommand,
  parkedCommand,
  projectionsCommand,
  searchCommand,
  lakeCommand,
  tokensCommand,
  migrateCommand,
];

const GLOBAL_OPTIONS = {
  db: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function help(): string {
  const lines = [
    'tributary: an event store. Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(11)} ${command.summary}`),
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
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  try {
    if (command === undefined) throw invalidArgument('command', `${JSON.stringify(name)} is unknown; try tributary --help`);
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
