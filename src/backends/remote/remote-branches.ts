import type { AsOf } from '../../core/as-of.js';
import { assertBranchName, type BranchInfo, type Branches, type CreateBranchOptions } from '../../store/branches.js';
import type { RemoteHttp } from './remote-http.js';

/**
 * A server's branches over HTTP (`/branches`). The server records the
 * token's name as a branch's creator, so `createdBy` is not sent.
 *
 * ```ts
 * await store.branches!.create('late-supplier', { at: '2026-03-01T00:00:00Z' });
 * ```
 */
export class RemoteBranches implements Branches {
  readonly #http: RemoteHttp;

  constructor(http: RemoteHttp) {
    this.#http = http;
  }

  async create(name: string, options: CreateBranchOptions = {}): Promise<BranchInfo> {
    assertBranchName(name);
    const at: AsOf | undefined = options.at instanceof Date ? options.at.toISOString() : options.at;
    return this.#http.request('POST', '/branches', { body: { name, at } });
  }

  async list(): Promise<BranchInfo[]> {
    return (await this.#http.request<{ branches: BranchInfo[] }>('GET', '/branches')).branches;
  }

  async describe(name: string): Promise<BranchInfo> {
    assertBranchName(name);
    return this.#http.request('GET', `/branches/${name}`);
  }

  async delete(name: string): Promise<void> {
    assertBranchName(name);
    await this.#http.request('DELETE', `/branches/${name}`);
  }
}
