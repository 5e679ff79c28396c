import { branchUnsupported } from './branches.js';
import type { ConsumerStore } from './consumer-store.js';

/**
 * The consumers of a branch: none. Checkpoints, groups and parked events are
 * kept for the real log, whose consumers must never see a branch event; a
 * consumer started on a branch fails at once with BRANCH_UNSUPPORTED instead
 * of sharing (and moving) a real consumer's checkpoint. Read a branch with
 * `readAll`/`subscribeToAll`, or replay a projection over it into a scratch store.
 */
export class BranchConsumers implements ConsumerStore {
  readonly #branch: string;

  constructor(branch: string) {
    this.#branch = branch;
  }

  #refuse(): Promise<never> {
    return Promise.reject(branchUnsupported(this.#branch, 'a consumer', "keeps its checkpoints on the real log"));
  }

  register = () => this.#refuse();
  get = () => this.#refuse();
  list = () => this.#refuse();
  remove = () => this.#refuse();
  saveCheckpoints = () => this.#refuse();
  heartbeat = () => this.#refuse();
  claim = () => this.#refuse();
  release = () => this.#refuse();
  leave = () => this.#refuse();
  setFault = () => this.#refuse();
  park = () => this.#refuse();
  listParked = () => this.#refuse();
  requestReplay = () => this.#refuse();
  replayRequests = () => this.#refuse();
  removeParked = () => this.#refuse();
}
