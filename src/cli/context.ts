import type { Readable, Writable } from 'node:stream';
import type { EventStore } from '../store/event-store.js';

/** What a command gets to work with: its parsed arguments, the store, and the standard streams. */
export interface CommandContext {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  /** Opens the store; commands that only read pass `create: false`, so a mistyped path creates no database. */
  openStore: (options?: { create?: boolean }) => Promise<EventStore>;
  /** Opens another store than the command's own (`--from`, `--to`), with the same token for a server's URL. */
  openLocation: (location: string, options?: { create?: boolean }) => Promise<EventStore>;
  /** The server the store is a client of (`--url`), for commands that talk to it beyond the store contract. */
  remote?: { url: string; token?: string };
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  /** Aborted on SIGINT or SIGTERM, or when stdout is closed: long-running commands end cleanly. */
  signal: AbortSignal;
}

/** A CLI command: its flags (in `util.parseArgs` form), its help, and what it does. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
  run(context: CommandContext): Promise<void>;
}
