import type { FastifyInstance } from 'fastify';
import { isTributaryError } from '../core/errors.js';

/** Why the store is degraded: the storage reason of the last failure, and since when. */
export interface StorageFailure {
  reason: string;
  since: string;
}

/**
 * What `/health` knows beyond "the store answers reads": that writes are
 * failing for lack of storage. A request of this server that fails with a
 * storage failure (STORE_UNAVAILABLE whose `storage` detail says disk full,
 * I/O error, out of memory…) marks it degraded; the next append that succeeds
 * marks it ready again, since that is the proof writes work.
 */
export class StorageHealth {
  #failure: StorageFailure | undefined;

  get failure(): StorageFailure | undefined {
    return this.#failure;
  }

  failed(error: unknown): void {
    if (!isTributaryError(error, 'STORE_UNAVAILABLE') || typeof error.details['storage'] !== 'string') return;
    const reason = error.details['storage'];
    if (this.#failure?.reason !== reason) this.#failure = { reason, since: new Date().toISOString() };
  }

  appended(): void {
    this.#failure = undefined;
  }
}

const APPEND_ROUTE = '/streams/:stream';

/** A StorageHealth fed by every failed request of `app` and by its successful appends. */
export function trackStorageHealth(app: FastifyInstance): StorageHealth {
  const health = new StorageHealth();
  app.addHook('onError', (_request, _reply, error, done) => {
    health.failed(error);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 201 && request.method === 'POST' && request.routeOptions.url === APPEND_ROUTE) health.appended();
    done();
  });
  return health;
}
