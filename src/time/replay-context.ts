import { AsyncLocalStorage } from 'node:async_hooks';

/** What a handler learns about the replay it runs in. */
export interface ReplayInfo {
  /** The projection being replayed. */
  projection: string;
  /** The last position of the source the replay builds up to. */
  until: number;
  /** Where the events come from, for people: the source store's location. */
  source: string;
  /** Where the replay writes, for people: the scratch store's location. */
  into: string;
}

const replays = new AsyncLocalStorage<ReplayInfo>();

/**
 * The replay the calling handler runs in, or undefined in a live run: code
 * that reaches outside the store (an e-mail, a payment) asks this to do
 * nothing, or something harmless, when the events are history.
 *
 * ```ts
 * handlers: { OrderPlaced: async (event, { tx, table }) => {
 *   await tx.execute(`INSERT INTO ${table} VALUES (?)`, [event.stream]);
 *   if (currentReplay() === undefined) await mailer.send(event.data.email);
 * } }
 * ```
 */
export function currentReplay(): ReplayInfo | undefined {
  return replays.getStore();
}

/** Runs `work` (and everything it starts) inside the replay `info`. */
export function runInReplay<T>(info: ReplayInfo, work: () => T): T {
  return replays.run(info, work);
}
