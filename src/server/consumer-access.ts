import type { FastifyRequest } from 'fastify';
import { TributaryError } from '../core/errors.js';
import { projectionOfConsumer } from '../projections/definition/projection.js';
import type { ConsumerRecord } from '../store/consumer-store.js';
import type { EventStore } from '../store/event-store.js';
import type { Access } from './access.js';
import { categoriesOf } from '../store/filter-categories.js';

/**
 * Who may see and change a consumer: a consumer belongs to the categories its
 * stored filter reads. Seeing it, and changing it (checkpoints, members,
 * faults, parked events, removal), need read scope on each of them; a
 * projection's own consumers are changed only by the projection machinery,
 * or by an admin, and never registered or removed through the consumer routes.
 */
export class ConsumerAccess {
  readonly #store: EventStore;
  readonly #access: Access;

  constructor(store: EventStore, access: Access) {
    this.#store = store;
    this.#access = access;
  }

  /** The stored record, when the request may see it; CONSUMER_NOT_FOUND when there is none, FORBIDDEN otherwise. */
  async readable(request: FastifyRequest, name: string): Promise<ConsumerRecord> {
    const record = await this.#store.consumers.get(name);
    if (record === undefined) throw consumerNotFound(name);
    this.#access.checkRead(request, categoriesOf(record.filter), `consumer ${JSON.stringify(name)}`);
    return record;
  }

  /** The stored record, when the request may change it. */
  async changeable(request: FastifyRequest, name: string): Promise<ConsumerRecord> {
    const record = await this.readable(request, name);
    if (projectionOfConsumer(name) !== undefined) this.#access.checkAdmin(request);
    return record;
  }

  /** Refuses registering or removing a projection's consumer here: only the projection's own routes do that. */
  refuseProjectionConsumer(name: string): void {
    const projection = projectionOfConsumer(name);
    if (projection === undefined) return;
    throw new TributaryError(
      'CONSUMER_CONFLICT',
      `consumer ${JSON.stringify(name)} feeds projection ${JSON.stringify(projection)}: manage it through /projections/${projection}`,
      { consumer: name, projection },
    );
  }

  /** The records among `records` the request may see. */
  visible(request: FastifyRequest, records: readonly ConsumerRecord[]): ConsumerRecord[] {
    return records.filter((record) => this.#access.mayRead(request, categoriesOf(record.filter)));
  }
}

export function consumerNotFound(name: string): TributaryError {
  return new TributaryError('CONSUMER_NOT_FOUND', `no consumer named ${name}`, { consumer: name });
}
