import type { RecordedEventJson } from '../../core/event.js';
import type { RedactedEvent, Redaction, RedactionMarker } from '../../store/redaction.js';
import type { RemoteHttp } from './remote-http.js';
import { recordedEventOf } from './remote-store.js';

/**
 * Redaction over `POST /events/{id}/redact`. The server writes the marker: its
 * time is the server's, and `by` is the name of this store's token (the
 * marker's own `by` is not sent). The server checks the token's scope on the
 * event's category; an `authorize` check is the server's to make, not this handle's.
 */
export class RemoteRedaction implements Redaction {
  readonly #http: RemoteHttp;

  constructor(http: RemoteHttp) {
    this.#http = http;
  }

  async redact(eventId: string, marker: RedactionMarker): Promise<RedactedEvent> {
    const answer = await this.#http.request<{ event: RecordedEventJson; alreadyRedacted: boolean }>('POST', `/events/${encodeURIComponent(eventId)}/redact`, {
      body: { reason: marker.reason },
    });
    return { event: recordedEventOf(answer.event), alreadyRedacted: answer.alreadyRedacted };
  }
}
