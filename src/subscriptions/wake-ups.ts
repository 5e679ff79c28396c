import { pause } from './retry.js';

/**
 * How a consumer's loop is woken from a wait: a heartbeat that found work, a
 * stop, a closed store. A wake that comes while the loop is busy is kept, and
 * its next wait returns at once, so no wake is lost between two waits.
 */
export class WakeUps {
  #controller = new AbortController();

  /** Ends the wait in progress, or the next one if the loop is not waiting. */
  wake(): void {
    this.#controller.abort();
  }

  /** Waits `ms`, or until woken. */
  async sleep(ms: number): Promise<void> {
    await this.wait((signal) => pause(ms, signal));
  }

  /**
   * Runs a wait that gives up when `signal` aborts; a wake ends it early.
   * Resolves to the wait's answer, or undefined when woken.
   */
  async wait<T>(waiting: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    const signal = this.#controller.signal;
    try {
      if (signal.aborted) return undefined;
      return await waiting(signal);
    } catch (error) {
      if (!signal.aborted) throw error;
      return undefined;
    } finally {
      if (signal.aborted) this.#controller = new AbortController();
    }
  }
}
