import type { FastifyRequest } from 'fastify';
import { TributaryError } from '../core/errors.js';
import type { BranchInfo } from '../store/branches.js';
import type { Access } from './access.js';

/**
 * Who may see and change a branch, fail closed. A branch belongs to the
 * categories its own events touch: seeing it (lists, describe) needs read
 * scope on each of them, or being admin or the token that created it;
 * creating one needs a token that may write somewhere; deleting needs write
 * scope on each category it touches (admin always; its creator while it
 * touches none). Reading and writing a branch's streams are checked per
 * stream, as on the real log.
 */
export class BranchAccess {
  readonly #access: Access;

  constructor(access: Access) {
    this.#access = access;
  }

  maySee(request: FastifyRequest, branch: BranchInfo): boolean {
    return this.#access.isAdmin(request) || this.#isCreator(request, branch) || this.#access.mayRead(request, branch.categories);
  }

  checkSee(request: FastifyRequest, branch: BranchInfo): void {
    if (this.maySee(request, branch)) return;
    this.#access.checkRead(request, branch.categories, `branch ${JSON.stringify(branch.name)}`);
  }

  checkCreate(request: FastifyRequest): void {
    if (this.#access.writesAny(request)) return;
    throw new TributaryError('FORBIDDEN', 'creating a branch needs a token that may write at least one category (or admin)', { action: 'write' });
  }

  checkDelete(request: FastifyRequest, branch: BranchInfo): void {
    if (this.#access.isAdmin(request)) return;
    if (branch.categories.length === 0) {
      if (this.#isCreator(request, branch)) return;
      throw new TributaryError('FORBIDDEN', `branch ${JSON.stringify(branch.name)} touches no category yet: only its creator or admin may delete it`, { action: 'write' });
    }
    this.#access.checkWrite(request, branch.categories, `deleting branch ${JSON.stringify(branch.name)}`);
  }

  /** The name recorded as the creator of a branch this request creates; undefined in open mode. */
  creator(request: FastifyRequest): string | undefined {
    return this.#access.producer(request);
  }

  #isCreator(request: FastifyRequest, branch: BranchInfo): boolean {
    const name = this.#access.producer(request);
    return name !== undefined && branch.createdBy === name;
  }
}
