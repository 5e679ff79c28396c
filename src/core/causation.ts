import type { EventMetadata, RecordedEvent } from './event.js';

/**
 * Metadata for an event caused by `cause`: it keeps the cause's correlation
 * id (or starts one from the cause's id) and names the cause as causation.
 *
 * ```ts
 * await store.append('payment-7', [{ type: 'PaymentRequested', data, metadata: causedBy(orderPlaced) }]);
 * ```
 */
export function causedBy(cause: Pick<RecordedEvent, 'id' | 'metadata'>, metadata: EventMetadata = {}): EventMetadata {
  return { ...metadata, correlationId: cause.metadata.correlationId ?? cause.id, causationId: cause.id };
}
