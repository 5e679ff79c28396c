/**
 * The metadata key under which the HTTP server records the name of the token
 * that appended an event. It is the server's: a request body that sets it is
 * refused. What the event catalog lists as an event type's producers.
 *
 * ```ts
 * const producer = event.metadata[APPENDED_BY_KEY]; // 'orders-service'
 * ```
 */
export const APPENDED_BY_KEY = 'appendedBy';
