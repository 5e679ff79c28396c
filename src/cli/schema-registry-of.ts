import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { SchemaRegistry } from '../store/schema-registry.js';

/** The store's schema registry; a store opened without one (a bare backend) cannot answer schema commands. */
export function schemaRegistryOf(store: EventStore): SchemaRegistry {
  if (store.schemas === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} has no schema registry here`, { location: store.location });
  }
  return store.schemas;
}
