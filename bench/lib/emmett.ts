// Emmett's stores, loaded from bench/emmett/node_modules when `npm run bench:setup` installed them.
// Typed by hand with only what the benchmarks call: Emmett is never a dependency of the package.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULES = join(import.meta.dirname, '..', 'emmett', 'node_modules', '@event-driven-io');

import type { BenchStore } from './scenarios.js';

export interface EmmettSqlite {
  open(path: string): BenchStore;
}

interface EmmettSqliteModule {
  sqliteConnection(options: { fileName: string }): { close(): void };
  getSQLiteEventStore(options: { fileName: string; connectionOptions?: { singleton: true; connection: unknown } }): {
    appendToStream(stream: string, events: unknown[]): Promise<unknown>;
  };
}

/** Emmett's SQLite store on one long-lived connection (its fastest set-up), or undefined when not installed. */
export async function loadEmmett(): Promise<EmmettSqlite | undefined> {
  const entry = join(MODULES, 'emmett-sqlite', 'dist', 'index.js');
  if (!existsSync(entry)) return undefined;
  const emmett = (await import(pathToFileURL(entry).href)) as EmmettSqliteModule;
  return {
    open(path) {
      const connection = emmett.sqliteConnection({ fileName: path });
      const store = emmett.getSQLiteEventStore({ fileName: path, connectionOptions: { singleton: true, connection } });
      return {
        append: (stream, events) => store.appendToStream(stream, events),
        close: async () => connection.close(),
      };
    },
  };
}

interface EmmettPostgresModule {
  getPostgreSQLEventStore(url: string): {
    appendToStream(stream: string, events: unknown[]): Promise<unknown>;
    close(): Promise<void>;
  };
}

export interface EmmettPostgres {
  open(url: string): BenchStore;
}

/** Emmett's PostgreSQL store with its default pooled connections, or undefined when not installed. */
export async function loadEmmettPostgres(): Promise<EmmettPostgres | undefined> {
  const entry = join(MODULES, 'emmett-postgresql', 'dist', 'index.js');
  if (!existsSync(entry)) return undefined;
  const emmett = (await import(pathToFileURL(entry).href)) as EmmettPostgresModule;
  return {
    open(url) {
      const store = emmett.getPostgreSQLEventStore(url);
      return { append: (stream, events) => store.appendToStream(stream, events), close: () => store.close() };
    },
  };
}
