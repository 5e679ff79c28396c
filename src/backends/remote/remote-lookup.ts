import { isTributaryError } from '../../core/errors.js';
import type { RecordedEvent, RecordedEventJson } from '../../core/event.js';
import { planCorrelated, type CorrelatedOptions, type EventLookup } from '../../store/event-lookup.js';
import type { RemoteHttp } from './remote-http.js';
import { recordedEventOf, type PageJson } from './remote-store.js';

/** Events by id and correlation id from the server: `GET /events/{id}` and `GET /correlations/{id}`. */
export class RemoteEventLookup implements EventLookup {
  readonly #http: RemoteHttp;

  constructor(http: RemoteHttp) {
    this.#http = http;
  }

  async event(id: string): Promise<RecordedEvent | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    try {
      return recordedEventOf(await this.#http.request<RecordedEventJson>('GET', `/events/${encodeURIComponent(id)}`));
    } catch (error) {
      if (isTributaryError(error, 'EVENT_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  async correlated(correlationId: string, options?: CorrelatedOptions): Promise<RecordedEvent[]> {
    const { after, limit } = planCorrelated(correlationId, options);
    const found: RecordedEvent[] = [];
    let from: number | null = after;
    // the server leaves out what the token may not read, so a page can come back short of the end
    while (from !== null && found.length < limit) {
      const page: PageJson = await this.#http.request<PageJson>('GET', `/correlations/${encodeURIComponent(correlationId)}`, { query: { after: from, limit: limit - found.length } });
      found.push(...page.events.map(recordedEventOf));
      from = page.next;
    }
    return found;
  }
}
