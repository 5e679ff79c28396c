import type { TokenStore } from '../store/token-store.js';

// a token created by another process ends open mode on every server within this long
const RECHECK_MS = 1_000;

/**
 * Open mode (every caller may do everything) lasts only while the database
 * holds no token. It is looked up again at most once a second, on the
 * requests themselves, and once a token exists it ends for good: revoking
 * every token later does not reopen the server.
 */
export class OpenMode {
  readonly #tokens: TokenStore | undefined;
  #open: boolean;
  #checkedAt = Date.now();
  #checking: Promise<boolean> | undefined;

  constructor(tokens: TokenStore | undefined, open: boolean) {
    this.#tokens = tokens;
    this.#open = open;
  }

  /**
   * True while no token exists. At most one look-up a second, shared by the
   * requests that wait for it; between look-ups the answer is given at once.
   */
  isOpen(): boolean | Promise<boolean> {
    if (!this.#open) return false;
    // a store that keeps no tokens (a remote one) cannot be given any: its server stays as it was started
    if (this.#tokens === undefined) return true;
    if (Date.now() - this.#checkedAt < RECHECK_MS) return true;
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<boolean> {
    const tokens = await this.#tokens!.list();
    this.#checkedAt = Date.now();
    if (tokens.length > 0) this.#open = false;
    return this.#open;
  }
}
