import type { FastifyRequest } from 'fastify';
import { generationsFed } from '../projections/lifecycle/generation-states.js';
import { consumerNameOf } from '../projections/definition/projection.js';
import { listProjections, requireProjection, sqlOf, type ProjectionRecord } from '../projections/lifecycle/registry.js';
import type { EventStore } from '../store/event-store.js';
import type { Access } from './access.js';
import { categoriesOf, unionOf, type Categories } from '../store/filter-categories.js';

/**
 * Who may see a projection: its documents, search hits, lake files and status
 * are built from the categories its generations' consumers read, so they need
 * read scope on each of them. A generation whose consumer is not registered
 * yet could read anything: only a token that reads every category sees it.
 */
export class ProjectionAccess {
  readonly #store: EventStore;
  readonly #access: Access;

  constructor(store: EventStore, access: Access) {
    this.#store = store;
    this.#access = access;
  }

  /** Throws PROJECTION_NOT_FOUND when there is none, FORBIDDEN unless the request may read what the projection reads. */
  async checkReadable(request: FastifyRequest, name: string): Promise<void> {
    const record = await requireProjection(sqlOf(this.#store, name), name);
    this.#access.checkRead(request, await this.#categoriesOf(record), `projection ${JSON.stringify(name)}`);
  }

  /** The projections the request may read, of those registered. */
  async visible(request: FastifyRequest): Promise<ProjectionRecord[]> {
    const records = await listProjections(sqlOf(this.#store, 'list'));
    const readable = await Promise.all(records.map(async (record) => this.#access.mayRead(request, await this.#categoriesOf(record))));
    return records.filter((_record, index) => readable[index]);
  }

  async #categoriesOf(record: ProjectionRecord): Promise<Categories> {
    const consumers = await Promise.all(generationsFed(record).map((generation) => this.#store.consumers.get(consumerNameOf(record.name, generation))));
    if (consumers.some((consumer) => consumer === undefined)) return '*';
    return unionOf(consumers.map((consumer) => categoriesOf(consumer!.filter)));
  }
}
