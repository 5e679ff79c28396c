import { TributaryError, invalidArgument, isTributaryError } from '../../core/errors.js';
import type { CopiedStream, CopiedTable, CopyHead, LogCopyReads, LogCopySource } from '../../store/log-copy.js';
import { MAX_PAGE_SIZE, nonNegativeInteger } from '../../store/options.js';
import type { EventRow } from '../../store/sql-rows.js';
import type { RemoteHttp } from './remote-http.js';

interface CopyHeadJson extends CopyHead {
  storeId: string;
}

/**
 * A Tributary server as the source of an exact copy, over its `/copy/…`
 * routes: what `tributary mirror --from http://…` reads. The log and the
 * stream rows need a `read:*` token. The other tables (consumers, tokens, …)
 * need an admin one: through a token that is not, `readTables` answers no
 * table, so a mirror brings the log alone and the target holds none of them. Rows
 * arrive as the server stores them (event data, metadata and tags as their
 * stored JSON text), so the copy is byte for byte. A read larger than the
 * server's page limit is made of several requests.
 *
 * `snapshot` is refused with INVALID_ARGUMENT: a consistent view needs one
 * transaction held across every read, which requests to a server cannot hold.
 * A backup reads the store's database, not a server in front of it.
 *
 * ```ts
 * const source = openRemoteStore({ url: 'http://events.internal:2113', token }).copySource;
 * const { head } = await source.copyHead();
 * ```
 */
export class RemoteCopySource implements LogCopySource {
  readonly #http: RemoteHttp;
  readonly #location: string;

  constructor(http: RemoteHttp, location: string) {
    this.#http = http;
    this.#location = location;
  }

  async storeId(): Promise<string> {
    return (await this.#head()).storeId;
  }

  async copyHead(): Promise<CopyHead> {
    const { head, lastChange } = await this.#head();
    return { head, lastChange };
  }

  async readCopyEvents(after: number, until: number, limit: number): Promise<EventRow[]> {
    nonNegativeInteger('after', after);
    nonNegativeInteger('until', until);
    const rows: EventRow[] = [];
    let from = after;
    for (let left = rowLimit(limit); left > 0; ) {
      const asked = Math.min(left, MAX_PAGE_SIZE);
      const page = await this.#http.request<{ events: EventRow[] }>('GET', '/copy/events', { query: { after: from, until, limit: asked } });
      rows.push(...page.events);
      if (page.events.length < asked) break;
      from = page.events[page.events.length - 1]![0];
      left -= asked;
    }
    return rows;
  }

  async readStreamChanges(afterChange: number, limit: number): Promise<CopiedStream[]> {
    nonNegativeInteger('afterChange', afterChange);
    const streams: CopiedStream[] = [];
    let from = afterChange;
    for (let left = rowLimit(limit); left > 0; ) {
      const asked = Math.min(left, MAX_PAGE_SIZE);
      const page = await this.#http.request<{ streams: CopiedStream[] }>('GET', '/copy/streams', { query: { afterChange: from, limit: asked } });
      streams.push(...page.streams);
      if (page.streams.length < asked) break;
      from = page.streams[page.streams.length - 1]!.changed;
      left -= asked;
    }
    return streams;
  }

  async readTables(): Promise<CopiedTable[]> {
    try {
      return (await this.#http.request<{ tables: CopiedTable[] }>('GET', '/copy/tables')).tables;
    } catch (error) {
      // a read:* token copies the log; the token hashes and every team's consumers are for an admin one
      if (isTributaryError(error, 'FORBIDDEN')) return [];
      throw error;
    }
  }

  async snapshot<T>(_read: (view: LogCopyReads) => Promise<T>): Promise<T> {
    throw new TributaryError(
      'INVALID_ARGUMENT',
      `a consistent view of ${this.#location} cannot be held across HTTP requests: back up the server's database instead`,
      { argument: 'source', reason: 'remote-snapshot', location: this.#location },
    );
  }

  #head(): Promise<CopyHeadJson> {
    return this.#http.request<CopyHeadJson>('GET', '/copy/head');
  }
}

function rowLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalidArgument('limit', `must be an integer >= 1, got ${JSON.stringify(limit)}`);
  return limit;
}
