import { TributaryError, invalidArgument } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { redactUrl } from '../store/redact-url.js';

/** Where the CLI and `openStore` look when no location is given. */
export const DEFAULT_DATABASE = './data/tributary.db';

/**
 * Opens the bare backend at `location`: what `openStore` opens before it puts
 * the schema registry in front. Each backend's module, and with it its driver,
 * is loaded the first time a location needs it.
 */
export async function openBackend(location: string = DEFAULT_DATABASE, options: OpenStoreOptions = {}): Promise<EventStore> {
  if (typeof location !== 'string' || location === '') throw invalidArgument('database location', 'must be a file path or a URL');
  if (/^https?:\/\//i.test(location)) {
    const { openRemoteStore } = await import('./remote/remote-store.js');
    return openRemoteStore({ url: location, token: options.token });
  }
  if (/^postgres(ql)?:\/\//i.test(location)) {
    // ?schema= picks the schema; pg itself never sees the parameter
    const url = new URL(location);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    const { openPostgresStore } = await import('./postgres/postgres-store.js');
    return openPostgresStore({ url: url.toString(), schema });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `no backend opens ${redactUrl(location)}: give a SQLite file path, a postgres:// URL or a server's http:// URL`, {
      location: redactUrl(location),
    });
  }
  const { openSqliteStore } = await import('./sqlite/sqlite-store.js');
  return openSqliteStore({ path: location, mustExist: options.create === false });
}

export interface OpenStoreOptions {
  /** The bearer token for an `http://` location. */
  token?: string;
  /** False: open only a database that exists, creating no file. Default true. */
  create?: boolean;
}
