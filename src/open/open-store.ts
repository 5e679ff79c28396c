import { openBackend, type OpenStoreOptions } from '../backends/open-store.js';
import type { EventStore } from '../store/event-store.js';
import { withPrivacy } from '../privacy/privacy-store.js';
import { withSchemas } from '../schemas/schema-store.js';
import { withBranches } from '../time/branches/with-branches.js';

/**
 * Opens the store at `location`: a SQLite file path (the embedded default),
 * a `postgres://` URL, optionally with `?schema=<name>` (default `tributary`),
 * or the `http://` URL of a Tributary server (with `token` when it requires one).
 * The same code runs on all three; only the location changes. A SQLite file is
 * created when missing unless `create` is false: then a missing file is
 * DATABASE_NOT_FOUND and nothing is created (a PostgreSQL database is never created).
 * The store enforces the schema registry's contracts on append and upcasts on
 * read (`store.schemas`); a server's registry does that for a remote store.
 * It has what-if branches (`store.branches`, `store.branch(name)`), kept beside the log.
 * Declared personal fields are encrypted on append and decrypted on read
 * (`store.privacy`), below the registry's door, so schemas see plaintext.
 *
 * ```ts
 * const store = await openStore(process.env.TRIBUTARY_DB ?? './data/tributary.db');
 * const reader = await openStore('./data/tributary.db', { create: false });
 * ```
 *
 * Each backend's module, and with it its driver, is loaded the first time a
 * location needs it: importing the package loads no database driver.
 */
export async function openStore(location?: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  return withSchemas(withPrivacy(withBranches(await openBackend(location, options))));
}
