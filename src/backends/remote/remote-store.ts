import { isAborted } from '../../core/abort.js';
import { RecordedEvent, type AppendResult, type EventData, type RecordedEventJson } from '../../core/event.js';
import type { CheckedCondition } from '../../core/event-query.js';
import { assertExpectedRevision } from '../../core/expected-revision.js';
import type { ProposedEvent } from '../../core/proposed-event.js';
import type { AppendManyResult, StreamAppend } from '../../core/stream-appends.js';
import { assertStreamName } from '../../core/stream-name.js';
import { manyAppendCall, singleAppendCall } from '../../store/append-calls.js';
import type {
  AllPage,
  AppendManyOptions,
  AppendOptions,
  CategorySummary,
  DeleteOptions,
  EventStore,
  ListStreamsOptions,
  ReadAllOptions,
  ReadStreamOptions,
  StreamInfo,
  StreamList,
  StreamMetadata,
  StreamPage,
  WaitOptions,
} from '../../store/event-store.js';
import { checkStreamMetadata, nonNegativeInteger, planAllRead, planStreamList, planStreamRead } from '../../store/options.js';
import { redactUrl } from '../../store/redact-url.js';
import { storeClosed } from '../../store/store-closed.js';
import type { RemoteStoreConfig } from './remote-config.js';
import { RemoteConsumerStore } from './remote-consumers.js';
import { RemoteRedaction } from './remote-redaction.js';
import { RemoteCopySource } from './remote-copy.js';
import { RemoteEventLookup } from './remote-lookup.js';
import { RemotePrivacy } from './remote-privacy.js';
import { RemoteHttp } from './remote-http.js';
import { RemoteSchemaRegistry } from './remote-schemas.js';
import { RemoteBranches } from './remote-branches.js';
import { RemoteBranchStore } from './remote-branch-store.js';
import { timeOf } from '../../store/position-at.js';
import type { AsOf } from '../../core/as-of.js';

const DEFAULT_WAIT_MS = 60_000;
// the server holds a long poll for at most a minute; longer waits ask again
const LONG_POLL_MS = 30_000;

/**
 * The store contract over HTTP, against a Tributary server: switch a service
 * from the embedded store to a central server by changing one URL. Arguments
 * are checked here with the same rules as the embedded store, so errors are
 * the same; everything else is the server's answer. It has no transactions:
 * `consumers.transact` is absent, and consumers use plain handlers.
 *
 * ```ts
 * const store = openRemoteStore({ url: 'http://events.internal:2113', token: process.env.TRIBUTARY_TOKEN });
 * ```
 */
export function openRemoteStore(config: RemoteStoreConfig): RemoteEventStore {
  return new RemoteEventStore(config);
}

export class RemoteEventStore implements EventStore {
  readonly location: string;
  readonly consumers: RemoteConsumerStore;
  /** The server as a mirror's source (`/copy/…`, a `read:*` token); it holds no snapshot, and a remote store is never a copy's target. */
  readonly copySource: RemoteCopySource;
  /** The server's schema registry; reads come back upcast by the server unless `raw` is asked for. */
  readonly schemas: RemoteSchemaRegistry;
  /** The server's what-if branches. */
  readonly branches: RemoteBranches;
  /** Events by id and correlation id, as far as the token may read them. */
  readonly lookup: RemoteEventLookup;
  /** The server's personal data: declarations and forgetting subjects. */
  readonly privacy: RemotePrivacy;
  /** Redaction by the server (`POST /events/{id}/redact`). */
  readonly redaction: RemoteRedaction;
  readonly #http: RemoteHttp;
  readonly #waits = new Set<AbortController>();
  #lastHead = 0;
  #closed = false;

  constructor(config: RemoteStoreConfig) {
    this.location = redactUrl(config.url);
    this.#http = new RemoteHttp(config.url, config.token);
    this.consumers = new RemoteConsumerStore(this.#http);
    this.copySource = new RemoteCopySource(this.#http, this.location);
    this.schemas = new RemoteSchemaRegistry(this.#http);
    this.branches = new RemoteBranches(this.#http);
    this.lookup = new RemoteEventLookup(this.#http);
    this.privacy = new RemotePrivacy(this.#http);
    this.redaction = new RemoteRedaction(this.#http);
  }

  /** One of the server's branches as a store (see `EventStore.branch`). */
  branch(name: string): EventStore {
    return new RemoteBranchStore(this.#http, this.location, name);
  }

  async append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    const { parts, condition } = singleAppendCall(stream, events, options);
    const body = { expectedRevision: parts[0]!.expected, events: parts[0]!.events.map(eventBody), condition: conditionBody(condition) };
    const result = await this.#http.request<AppendResult>('POST', `/streams/${encodeURIComponent(stream)}`, { body });
    this.#lastHead = Math.max(this.#lastHead, result.position);
    return result;
  }

  async appendMany(appends: readonly StreamAppend[], options: AppendManyOptions = {}): Promise<AppendManyResult> {
    const { parts, condition } = manyAppendCall(appends, options);
    const body = {
      appends: parts.map(({ stream, expected, events }) => ({ stream, expectedRevision: expected, events: events.map(eventBody) })),
      condition: conditionBody(condition),
    };
    const result = await this.#http.request<AppendManyResult>('POST', '/streams', { body });
    this.#lastHead = Math.max(this.#lastHead, result.position);
    return result;
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
    assertStreamName(stream);
    const plan = planStreamRead(options);
    const page = await this.#http.request<PageJson>('GET', `/streams/${encodeURIComponent(stream)}`, {
      query: { from: plan.from, limit: plan.limit, direction: plan.backward ? 'backward' : 'forward', raw: rawQuery(options?.raw), asOf: asOfText(options?.asOf) },
    });
    return { events: page.events.map(recordedEventOf), next: page.next };
  }

  async readAll(options?: ReadAllOptions): Promise<AllPage> {
    const plan = planAllRead(options);
    const { after, limit, filter } = plan;
    const page =
      options?.query === undefined
        ? await this.#http.request<PageJson>('GET', '/all', {
            query: {
              after,
              limit,
              category: filter?.categories,
              // tags come back from the plan as one query item holding the types too
              type: filter?.types ?? filter?.query?.[0]?.types,
              tag: filter?.query?.[0]?.tags,
              prefix: filter?.streamPrefix,
              raw: rawQuery(options?.raw),
              asOf: asOfText(options?.asOf),
            },
          })
        : await this.#http.request<PageJson>('POST', '/all/query', {
            query: { raw: rawQuery(options.raw) },
            body: {
              after,
              limit,
              categories: filter?.categories,
              query: filter?.query?.map(({ types, tags }) => ({ types, tags })),
              asOf: options.asOf instanceof Date ? options.asOf.toISOString() : options.asOf,
            },
          });
    return { events: page.events.map(recordedEventOf), next: page.next };
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    assertStreamName(stream);
    return this.#http.request('GET', `/streams/${encodeURIComponent(stream)}/info`);
  }

  async listStreams(options?: ListStreamsOptions): Promise<StreamList> {
    const plan = planStreamList(options);
    return this.#http.request('GET', '/streams', {
      query: { prefix: plan.prefix, category: plan.category, after: plan.after === '' ? undefined : plan.after, limit: plan.limit },
    });
  }

  async listCategories(): Promise<CategorySummary[]> {
    return this.#http.request('GET', '/categories');
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    assertStreamName(stream);
    return this.#http.request('GET', `/streams/${encodeURIComponent(stream)}/metadata`);
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    assertStreamName(stream);
    await this.#http.request('PUT', `/streams/${encodeURIComponent(stream)}/metadata`, { body: checkStreamMetadata(metadata) });
  }

  async deleteStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    await this.#delete(stream, options, false);
  }

  async tombstoneStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    await this.#delete(stream, options, true);
  }

  async scavenge(): Promise<{ removed: number }> {
    return this.#http.request('POST', '/admin/scavenge');
  }

  async headPosition(): Promise<number> {
    const { head } = await this.#http.request<{ head: number }>('GET', '/head');
    this.#lastHead = Math.max(this.#lastHead, head);
    return head;
  }

  /** One call: the server looks it up (`GET /positions?at=`). */
  async positionAt(time: Date | string): Promise<number> {
    timeOf(time);
    const { position } = await this.#http.request<{ position: number }>('GET', '/positions', { query: { at: asOfText(time) } });
    return position;
  }

  /** Long polls the server; closing the store answers pending waits with the last head seen. */
  async waitForPosition(after: number, options: WaitOptions = {}): Promise<number> {
    nonNegativeInteger('after', after);
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_WAIT_MS : nonNegativeInteger('timeoutMs', options.timeoutMs);
    if (this.#closed) throw storeClosed();
    if (options.signal?.aborted === true) throw options.signal.reason;
    const closing = new AbortController();
    this.#waits.add(closing);
    const signal = options.signal === undefined ? closing.signal : AbortSignal.any([options.signal, closing.signal]);
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const wait = Math.max(0, Math.min(LONG_POLL_MS, deadline - Date.now()));
        const { head } = await this.#http.request<{ head: number }>('GET', '/head', { query: { after, timeoutMs: wait }, signal, timeoutMs: wait });
        this.#lastHead = Math.max(this.#lastHead, head);
        if (head > after || Date.now() >= deadline) return head;
      }
    } catch (error) {
      if (closing.signal.aborted && !isAborted(options.signal)) return this.#lastHead;
      throw error;
    } finally {
      this.#waits.delete(closing);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wait of this.#waits) wait.abort();
    this.#http.close();
  }

  async #delete(stream: string, options: DeleteOptions, hard: boolean): Promise<void> {
    assertStreamName(stream);
    const expectedRevision = options.expectedRevision === undefined ? 'any' : options.expectedRevision;
    assertExpectedRevision(expectedRevision);
    await this.#http.request('DELETE', `/streams/${encodeURIComponent(stream)}`, { query: { expectedRevision: String(expectedRevision), hard } });
  }
}

/** An as-of point as query text (checked already by the read's plan): a Date as its ISO 8601 time. */
function asOfText(asOf: AsOf | undefined): string | undefined {
  if (asOf === undefined) return undefined;
  return asOf instanceof Date ? asOf.toISOString() : String(asOf);
}

/** `?raw=true` only when asked: the server's default is upcast events, as the embedded store's. */
export function rawQuery(raw: boolean | undefined): true | undefined {
  return raw === true ? true : undefined;
}

export interface PageJson {
  events: RecordedEventJson[];
  next: number | null;
}

/** An event as the server takes it: the prepared event's own values, its id only when the caller gave one. */
export function eventBody(event: ProposedEvent): Record<string, unknown> {
  return {
    ...(event.idGiven ? { id: event.id } : {}),
    type: event.type,
    data: JSON.parse(event.dataJson) as unknown,
    ...(event.metadataJson === null ? {} : { metadata: JSON.parse(event.metadataJson) as unknown }),
    ...(event.tags.length === 0 ? {} : { tags: event.tags }),
  };
}

export function conditionBody(condition: CheckedCondition | undefined): Record<string, unknown> | undefined {
  if (condition === undefined) return undefined;
  const { items, after, categories } = condition;
  return { failIfEventsMatch: items.map(({ types, tags }) => ({ types, tags })), after, categories };
}

export function recordedEventOf(json: RecordedEventJson): RecordedEvent {
  return new RecordedEvent(
    json.id,
    json.stream,
    json.type,
    json.revision,
    json.position,
    JSON.stringify(json.data),
    Object.keys(json.metadata).length === 0 ? null : JSON.stringify(json.metadata),
    Date.parse(json.recordedAt),
    json.tags.length === 0 ? null : JSON.stringify(json.tags),
  );
}
