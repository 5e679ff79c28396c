import type { AppendResult, EventData, RecordedEvent } from '../core/event.js';
import { categoryOf } from '../core/stream-name.js';
import type { AppendManyResult, StreamAppend } from '../core/stream-appends.js';
import type { AllPage, AppendManyOptions, AppendOptions, EventStore, ReadAllOptions, ReadStreamOptions, StreamPage } from '../store/event-store.js';
import type { EventLookup } from '../store/event-lookup.js';
import { sqlReadingThrough } from '../store/sql-access.js';
import { SqlSubjectKeys } from '../store/subject-keys.js';
import { DeclarationsCache } from './declarations.js';
import { ForgetsFeed } from './forgets-feed.js';
import { KeyCache } from './key-cache.js';
import { openEvents } from './open-events.js';
import { sealEvents } from './seal-events.js';
import { StorePrivacy } from './store-privacy.js';

/**
 * Puts personal-data protection in front of a store that has SQL access:
 * appends to a category with declared personal fields are stored with those
 * fields encrypted per subject (and tagged with the subject), and every read
 * (streams, the log, queries, lookups by id, inline hooks, and so subscriptions, consumers and
 * projections) decrypts them, or gives `{"$personal":"forgotten"}` once the
 * subject is forgotten. `store.privacy` declares fields and forgets subjects.
 * Branches (`branch(name)`) are behind the same door. A store that has
 * `privacy` already, or no SQL access (a remote one), is returned as it is.
 * Put the registry's door (`withSchemas`) in front of it: schemas validate
 * and upcast plaintext.
 *
 * ```ts
 * const store = withSchemas(withPrivacy(withBranches(openSqliteStore({ path: './data/tributary.db' }))));
 * await store.privacy!.declare('customer', { subject: 'data.customerId', fields: ['data.email'] });
 * ```
 */
export function withPrivacy(store: EventStore): EventStore {
  const { sql } = store;
  if (store.privacy !== undefined || sql === undefined) return store;
  const declarations = new DeclarationsCache(store);
  const keys = new KeyCache(new SqlSubjectKeys(sql), new ForgetsFeed(store));
  return guarded(store, { declarations, keys, privacy: new StorePrivacy(store, declarations, keys) });
}

/** What a store's door shares with the doors of its branches: one set of declarations and keys, from the real store. */
interface PrivacyParts {
  declarations: DeclarationsCache;
  keys: KeyCache;
  privacy: StorePrivacy;
}

function guarded(store: EventStore, parts: PrivacyParts): EventStore {
  const { declarations, keys } = parts;
  const seal = async (stream: unknown, events: readonly EventData[]): Promise<readonly EventData[]> => {
    // a malformed call is the store's to refuse, with its own codes
    if (typeof stream !== 'string' || !Array.isArray(events)) return events;
    const declaration = (await declarations.current()).current.get(categoryOf(stream));
    return declaration === undefined ? events : sealEvents(events, declaration, keys);
  };
  const open = async (events: RecordedEvent[]): Promise<RecordedEvent[]> => openEvents(events, await declarations.current(), keys, 'plain');
  const overrides: { -readonly [K in keyof EventStore]?: EventStore[K] } = {
    privacy: parts.privacy,
    async append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
      return store.append(stream, await seal(stream, events), options);
    },
    async appendMany(appends: readonly StreamAppend[], options?: AppendManyOptions): Promise<AppendManyResult> {
      const list: unknown = appends;
      if (!Array.isArray(list)) return store.appendMany(appends, options);
      const sealed = await Promise.all(
        (list as unknown[]).map(async (part) =>
          typeof part === 'object' && part !== null ? { ...(part as StreamAppend), events: await seal((part as StreamAppend).stream, (part as StreamAppend).events) } : part,
        ),
      );
      return store.appendMany(sealed as StreamAppend[], options);
    },
    async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
      const page = await store.readStream(stream, options);
      return { ...page, events: await open(page.events) };
    },
    async readAll(options?: ReadAllOptions): Promise<AllPage> {
      const page = await store.readAll(options);
      return { ...page, events: await open(page.events) };
    },
  };
  if (store.sql !== undefined) overrides.sql = sqlReadingThrough(store.sql, open);
  if (store.lookup !== undefined) overrides.lookup = openingLookup(store.lookup, open);
  if (store.branch !== undefined) {
    const branch = store.branch.bind(store);
    overrides.branch = (name: string) => guarded(branch(name), parts);
  }
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof EventStore];
      // the target as receiver: class stores keep their state in private fields, which a proxy does not carry
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The store's lookup by id and correlation, its events decrypted like every other read's. */
function openingLookup(lookup: EventLookup, open: (events: RecordedEvent[]) => Promise<RecordedEvent[]>): EventLookup {
  return {
    event: async (id) => {
      const found = await lookup.event(id);
      return found === undefined ? undefined : (await open([found]))[0];
    },
    correlated: async (correlationId, options) => open(await lookup.correlated(correlationId, options)),
  };
}

