import type { StreamMetadata } from './event-store.js';

/** Which of a stream's events a stream read may return. */
export interface Retention {
  /** Lowest readable revision. */
  minRevision: number;
  /** Oldest readable `recordedAt`, in Unix milliseconds (0 when age does not matter). */
  minRecordedAt: number;
}

/**
 * Applies stream metadata and soft deletion to a stream whose last event is at
 * `lastRevision`: the readable events are those at or above every floor.
 *
 * ```ts
 * retentionOf(9, 0, { maxCount: 3 }, Date.now()) // { minRevision: 7, minRecordedAt: 0 }
 * ```
 */
export function retentionOf(
  lastRevision: number,
  deletedBefore: number,
  metadata: StreamMetadata,
  nowMillis: number,
): Retention {
  let minRevision = Math.max(deletedBefore, metadata.truncateBefore ?? 0);
  if (metadata.maxCount !== undefined) minRevision = Math.max(minRevision, lastRevision - metadata.maxCount + 1);
  const minRecordedAt = metadata.maxAge === undefined ? 0 : nowMillis - metadata.maxAge * 1000;
  return { minRevision, minRecordedAt };
}
