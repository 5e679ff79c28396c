import type { FastifyRequest } from 'fastify';
import { TributaryError, isTributaryError } from '../core/errors.js';
import type { Categories } from '../store/filter-categories.js';
import type { SchemaRegistry, SchemaTypeDetails, SchemaTypeSummary } from '../store/schema-registry.js';
import type { Access } from './access.js';

/**
 * Who may see and change an event type's schemas (DESIGN.md, "Who may do
 * what"): a type belongs to the categories its registrations named. Seeing it
 * needs read scope on each of them, changing it write scope on each (admin
 * does both); a type with none recorded, or none yet, needs `read:*` to be
 * seen and admin to be changed, so an unknown type looks the same as another
 * team's to a narrow token. A new type is registered by admin, or by a token
 * that may write every category it names, and names at least one.
 */
export class SchemaAccess {
  readonly #registry: () => SchemaRegistry;
  readonly #access: Access;

  constructor(registry: () => SchemaRegistry, access: Access) {
    this.#registry = registry;
    this.#access = access;
  }

  /** The type's details, when the request may see them; FORBIDDEN before SCHEMA_NOT_FOUND, so existence shows only to `read:*`. */
  async readable(request: FastifyRequest, type: string): Promise<SchemaTypeDetails> {
    const details = await this.#details(type);
    this.#access.checkRead(request, readCategoriesOf(details), `the schemas of event type ${JSON.stringify(type)}`);
    if (details === undefined) return this.#registry().describe(type);
    return details;
  }

  /** Checks a dry run of a registration: a registered type needs what reading it needs; one not registered yet tells nothing, so any token may. */
  async checkDryRun(request: FastifyRequest, type: string): Promise<void> {
    const details = await this.#details(type);
    if (details !== undefined) this.#access.checkRead(request, readCategoriesOf(details), `checking a schema of event type ${JSON.stringify(type)}`);
  }

  /** True when the request may see a type's schemas. */
  mayRead(request: FastifyRequest, summary: SchemaTypeSummary): boolean {
    return this.#access.mayRead(request, readCategoriesOf(summary));
  }

  /** True when the request may see the mode of `category`. */
  mayReadMode(request: FastifyRequest, category: string): boolean {
    return this.#access.mayRead(request, [category]);
  }

  /**
   * Throws FORBIDDEN unless the request may change the type: register a
   * version naming `named` categories, set its compatibility, add an upcaster.
   */
  async checkChange(request: FastifyRequest, type: string, named: readonly string[] = []): Promise<void> {
    const details = await this.#details(type);
    const recorded = details?.categories ?? [];
    if (recorded.length > 0 || (details === undefined && named.length > 0)) {
      this.#access.checkWrite(request, [...new Set([...recorded, ...named])], `changing the schemas of event type ${JSON.stringify(type)}`);
    } else if (!this.#access.isAdmin(request)) {
      throw new TributaryError(
        'FORBIDDEN',
        details === undefined
          ? `event type ${JSON.stringify(type)} is new: a token that is not admin must name the categories it is written to`
          : `event type ${JSON.stringify(type)} records no category: only an admin token may change it`,
        { action: 'admin', type },
      );
    }
  }

  /** Throws FORBIDDEN unless the request may set the validation mode of `category`. */
  checkMode(request: FastifyRequest, category: string): void {
    this.#access.checkWrite(request, [category], `the validation mode of category ${JSON.stringify(category)}`);
  }

  async #details(type: string): Promise<SchemaTypeDetails | undefined> {
    try {
      return await this.#registry().describe(type);
    } catch (error) {
      if (isTributaryError(error, 'SCHEMA_NOT_FOUND')) return undefined;
      throw error;
    }
  }
}

/** The categories whose read scope shows a type's schemas: those recorded, or all of them when none are. */
function readCategoriesOf(summary: SchemaTypeSummary | undefined): Categories {
  return summary === undefined || summary.categories.length === 0 ? '*' : summary.categories;
}
