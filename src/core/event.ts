/**
 * Metadata travels with an event. `correlationId` ties together everything
 * caused by one request; `causationId` names the event or command that caused
 * this one. Other keys are free for the application.
 */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
}

/**
 * An event proposed for appending.
 *
 * ```ts
 * const opened: EventData = { type: 'AccountOpened', data: { owner: 'Damon Allison', balance: 500 } };
 * ```
 */
export interface EventData<Type extends string = string, Data = unknown> {
  /** A UUID; when given, retries of the same append are idempotent. Generated (v7) when absent. */
  id?: string;
  type: Type;
  /** Any JSON value. Stored as JSON text. */
  data: Data;
  metadata?: EventMetadata;
  /**
   * Strings the event is indexed by across streams (`customer:42`, `room:7`):
   * reads and conditional appends select events by them. At most 32, each
   * 1–256 characters with no control or invisible characters.
   */
  tags?: readonly string[];
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * An event as stored: what was appended plus where it landed. `data` and
 * `metadata` are parsed from their stored JSON text on first access, so
 * reading through the log costs nothing for events nobody looks into.
 */
export class RecordedEvent<Type extends string = string, Data = unknown> {
  #data: Data | undefined;
  #metadata: EventMetadata | undefined;
  #tags: readonly string[] | undefined;
  #jsonText: string | undefined;
  readonly #dataJson: string;
  readonly #metadataJson: string | null;

  constructor(
    readonly id: string,
    readonly stream: string,
    readonly type: Type,
    /** Place in the stream, contiguous from 0. */
    readonly revision: number,
    /** Place in the global log, from 1, increasing in the order readers see commits. */
    readonly position: number,
    dataJson: string,
    metadataJson: string | null,
    /** When the store recorded the event, in milliseconds since the Unix epoch (UTC). */
    readonly recordedAtMillis: number,
    /** The stored JSON text of the event's tags, or null when it has none. */
    readonly tagsJson: string | null = null,
  ) {
    this.#dataJson = dataJson;
    this.#metadataJson = metadataJson;
  }

  /** The JSON text of `data`: as stored, or as an upcaster rewrote it (a subclass may compute it on first access). */
  get dataJson(): string {
    return this.#dataJson;
  }

  /** The JSON text of `metadata`, or null when the event had none. */
  get metadataJson(): string | null {
    return this.#metadataJson;
  }

  /** The event's tags, parsed from their stored text on first access; empty when it has none. */
  get tags(): readonly string[] {
    if (this.#tags === undefined) this.#tags = this.tagsJson === null ? NO_TAGS : (JSON.parse(this.tagsJson) as string[]);
    return this.#tags;
  }

  get data(): Data {
    if (this.#data === undefined) this.#data = JSON.parse(this.dataJson) as Data;
    return this.#data;
  }

  get metadata(): EventMetadata {
    if (this.#metadata === undefined) {
      this.#metadata = this.metadataJson === null ? {} : (JSON.parse(this.metadataJson) as EventMetadata);
    }
    return this.#metadata;
  }

  /** ISO 8601 in UTC, e.g. `2026-11-26T12:45:40.123Z`. */
  get recordedAt(): string {
    return new Date(this.recordedAtMillis).toISOString();
  }

  /** The event in the shape of the HTTP contract. */
  toJSON(): RecordedEventJson {
    return {
      id: this.id,
      stream: this.stream,
      type: this.type,
      revision: this.revision,
      position: this.position,
      data: this.data,
      metadata: this.metadata,
      tags: [...this.tags],
      recordedAt: this.recordedAt,
    };
  }

  /**
   * The same JSON as `JSON.stringify(event)`, built around the stored text of
   * data and metadata without parsing them: the fast path for NDJSON and HTTP.
   */
  toJsonText(): string {
    // kept: an event fanned out to many subscribers is serialised once
    this.#jsonText ??= (
      '{"id":"' + this.id +
      '","stream":' + JSON.stringify(this.stream) +
      ',"type":' + JSON.stringify(this.type) +
      ',"revision":' + this.revision +
      ',"position":' + this.position +
      ',"data":' + this.dataJson +
      ',"metadata":' + (this.metadataJson ?? '{}') +
      ',"tags":' + (this.tagsJson ?? '[]') +
      ',"recordedAt":"' + this.recordedAt + '"}'
    );
    return this.#jsonText;
  }
}

/** A recorded event as JSON: the HTTP contract's event shape. */
export interface RecordedEventJson {
  id: string;
  stream: string;
  type: string;
  revision: number;
  position: number;
  data: unknown;
  metadata: EventMetadata;
  tags: string[];
  recordedAt: string;
}

/** Where one appended event landed. */
export interface AppendedEvent {
  id: string;
  revision: number;
  position: number;
}

/** The outcome of an append, in the shape of the HTTP contract's 201 body. */
export interface AppendResult {
  stream: string;
  /** The revision of the last event now in the stream: pass it as the next expected revision. */
  nextExpectedRevision: number;
  /** The position of the last appended event. */
  position: number;
  events: AppendedEvent[];
}

/** An event map that types nothing: every event is a `RecordedEvent` with `unknown` data. */
export type UntypedEvents = Record<string, unknown>;

/**
 * The events of an event map (event type → data, such as the `TributaryEvents`
 * that `tributary schema types` generates), as the union a handler takes:
 * checking `type` narrows `data` to that type's.
 *
 * ```ts
 * const onOrder = (e: EventOf<TributaryEvents>) => {
 *   if (e.type === 'OrderPlaced') console.log(e.data.orderId);
 * };
 * ```
 */
export type EventOf<M extends object = UntypedEvents> = { [K in keyof M & string]: RecordedEvent<K, M[K]> }[keyof M & string];
