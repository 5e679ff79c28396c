import { isAborted } from '../../core/abort.js';
import { parseAsOf, type AsOf } from '../../core/as-of.js';
import type { AppendResult, EventData } from '../../core/event.js';
import type { AppendManyResult, StreamAppend } from '../../core/stream-appends.js';
import { assertStreamName } from '../../core/stream-name.js';
import { manyAppendCall, singleAppendCall } from '../../store/append-calls.js';
import { BranchConsumers } from '../../store/branch-consumers.js';
import { assertBranchName } from '../../store/branches.js';
import type {
  AllPage,
  AppendManyOptions,
  AppendOptions,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamInfo,
  StreamMetadata,
  StreamPage,
  WaitOptions,
} from '../../store/event-store.js';
import { nonNegativeInteger, planAllRead, planStreamRead } from '../../store/options.js';
import { firstThroughReads, searchPositionAt, timeOf } from '../../store/position-at.js';
import type { RemoteHttp } from './remote-http.js';
import { conditionBody, eventBody, rawQuery, recordedEventOf, type PageJson } from './remote-store.js';
import { BranchRefusals } from '../../store/branch-refusals.js';

const DEFAULT_WAIT_MS = 60_000;
// the server holds a long poll for at most a minute; longer waits ask again
const LONG_POLL_MS = 30_000;

/**
 * One branch of a server's store over HTTP (`/branches/{name}/…`): the same
 * reads and appends as the embedded branch view, and the same refusals.
 * Closing it closes nothing: the remote store it came from owns the connection.
 *
 * ```ts
 * const late = openRemoteStore({ url: 'http://events.internal:2113', token }).branch('late-supplier');
 * await late.append('order-42', [{ type: 'ShipmentDelayed', data: { days: 1 } }], { expectedRevision: 1 });
 * ```
 */
export class RemoteBranchStore extends BranchRefusals implements EventStore {
  readonly location: string;
  readonly consumers: BranchConsumers;
  readonly #http: RemoteHttp;
  readonly #base: string;

  constructor(http: RemoteHttp, location: string, name: string) {
    super(assertBranchName(name));
    this.#http = http;
    this.#base = `/branches/${name}`;
    this.location = `${location} (branch ${name})`;
    this.consumers = new BranchConsumers(name);
  }

  async append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    const { parts, condition } = singleAppendCall(stream, events, options);
    const body = { expectedRevision: parts[0]!.expected, events: parts[0]!.events.map(eventBody), condition: conditionBody(condition) };
    return this.#http.request<AppendResult>('POST', `${this.#base}/streams/${encodeURIComponent(stream)}`, { body });
  }

  async appendMany(appends: readonly StreamAppend[], options: AppendManyOptions = {}): Promise<AppendManyResult> {
    const { parts, condition } = manyAppendCall(appends, options);
    const body = {
      appends: parts.map(({ stream, expected, events }) => ({ stream, expectedRevision: expected, events: events.map(eventBody) })),
      condition: conditionBody(condition),
    };
    return this.#http.request<AppendManyResult>('POST', `${this.#base}/streams`, { body });
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
    assertStreamName(stream);
    const plan = planStreamRead(options);
    const page = await this.#http.request<PageJson>('GET', `${this.#base}/streams/${encodeURIComponent(stream)}`, {
      query: { from: plan.from, limit: plan.limit, direction: plan.backward ? 'backward' : 'forward', raw: rawQuery(options?.raw), asOf: asOfQuery(options?.asOf) },
    });
    return { events: page.events.map(recordedEventOf), next: page.next };
  }

  async readAll(options?: ReadAllOptions): Promise<AllPage> {
    const { after, limit, filter } = planAllRead(options);
    const asOf = asOfQuery(options?.asOf);
    const page =
      options?.query === undefined
        ? await this.#http.request<PageJson>('GET', `${this.#base}/all`, {
            query: {
              after,
              limit,
              category: filter?.categories,
              type: filter?.types ?? filter?.query?.[0]?.types,
              tag: filter?.query?.[0]?.tags,
              prefix: filter?.streamPrefix,
              raw: rawQuery(options?.raw),
              asOf,
            },
          })
        : await this.#http.request<PageJson>('POST', `${this.#base}/all/query`, {
            query: { raw: rawQuery(options.raw), asOf },
            body: { after, limit, categories: filter?.categories, query: filter?.query?.map(({ types, tags }) => ({ types, tags })) },
          });
    return { events: page.events.map(recordedEventOf), next: page.next };
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    assertStreamName(stream);
    return this.#http.request('GET', `${this.#base}/streams/${encodeURIComponent(stream)}/info`);
  }

  /** The real stream's metadata, as the embedded branch view answers it; BRANCH_NOT_FOUND first. */
  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    assertStreamName(stream);
    await this.headPosition();
    return this.#http.request('GET', `/streams/${encodeURIComponent(stream)}/metadata`);
  }

  async headPosition(): Promise<number> {
    return (await this.#http.request<{ head: number }>('GET', `${this.#base}/head`)).head;
  }

  async positionAt(time: Date | string): Promise<number> {
    const at = timeOf(time);
    return searchPositionAt(at, await this.headPosition(), firstThroughReads((options) => this.readAll(options)));
  }

  /** Long polls the server's branch head. */
  async waitForPosition(after: number, options: WaitOptions = {}): Promise<number> {
    nonNegativeInteger('after', after);
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_WAIT_MS : nonNegativeInteger('timeoutMs', options.timeoutMs);
    const { signal } = options;
    if (signal?.aborted === true) throw signal.reason;
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const wait = Math.max(0, Math.min(LONG_POLL_MS, deadline - Date.now()));
        const { head } = await this.#http.request<{ head: number }>('GET', `${this.#base}/head`, { query: { after, timeoutMs: wait }, signal, timeoutMs: wait });
        if (head > after || Date.now() >= deadline) return head;
      }
    } catch (error) {
      if (isAborted(signal)) throw signal!.reason;
      throw error;
    }
  }

  async close(): Promise<void> {}
}

/** `?asOf=` as the server takes it: checked here first, so a bad one is refused as the embedded store refuses it. */
function asOfQuery(asOf: AsOf | undefined): string | undefined {
  if (asOf === undefined) return undefined;
  parseAsOf(asOf);
  return asOf instanceof Date ? asOf.toISOString() : String(asOf);
}
