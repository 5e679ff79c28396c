/**
 * The one table of Tributary's error codes. Every error Tributary raises is a
 * {@link TributaryError} whose `code` is a key of {@link ERROR_CODES}; the code
 * is a stable contract (CLI, HTTP, other languages match on it), the message is
 * for people. `docs/errors.md` documents every code; a test keeps the two in step.
 */
export const ERROR_CODES = {
  WRONG_EXPECTED_REVISION: {
    retriable: false,
    summary: 'The stream is not at the revision the append or delete expected.',
  },
  STREAM_NOT_FOUND: {
    retriable: false,
    summary: 'The stream has no events, or was soft-deleted.',
  },
  STREAM_DELETED: {
    retriable: false,
    summary: 'The stream was tombstoned: it can never be read or written again.',
  },
  EVENT_ID_CONFLICT: {
    retriable: false,
    summary: 'An event id is already stored with different content, or in another stream.',
  },
  INVALID_STREAM_NAME: {
    retriable: false,
    summary: 'A stream name breaks the naming rules.',
  },
  INVALID_EVENT: {
    retriable: false,
    summary: 'A proposed event is malformed (type, id, data or metadata).',
  },
  INVALID_EXPECTED_REVISION: {
    retriable: false,
    summary: 'An expected revision is not any, no_stream, stream_exists or a revision >= 0.',
  },
  INVALID_APPENDS: {
    retriable: false,
    summary: 'A multi-stream append is malformed: no streams, a stream named twice, or more streams or events than one call takes; nothing was written.',
  },
  INVALID_TAG: {
    retriable: false,
    summary: 'An event tag, or a tag in a query, is empty, too long, repeated, holds control or invisible characters, or an event has too many.',
  },
  INVALID_QUERY: {
    retriable: false,
    summary: 'An event query (for a conditional append or a read) has no items, an item with neither types nor tags, or a malformed position.',
  },
  APPEND_CONDITION_FAILED: {
    retriable: false,
    summary: 'A conditional append found events matching its query after the position it was decided at; nothing was written.',
  },
  INVALID_STREAM_METADATA: {
    retriable: false,
    summary: 'Stream metadata (max count, max age, truncate-before, custom) is malformed.',
  },
  INVALID_ARGUMENT: {
    retriable: false,
    summary: 'An option or argument is out of range or of the wrong kind.',
  },
  INVALID_NDJSON: {
    retriable: false,
    summary: 'A line of NDJSON input is not a JSON event; the whole batch is refused.',
  },
  COMMAND_REJECTED: {
    retriable: false,
    summary: 'A decider refused a command because of the state it was decided on.',
  },
  UNSUPPORTED_DATABASE: {
    retriable: false,
    summary: 'The database location names a backend this build cannot open.',
  },
  STORE_CLOSED: {
    retriable: false,
    summary: 'The store was closed before or during the call.',
  },
  STORE_BUSY: {
    retriable: true,
    summary: 'Another writer held the database for longer than the busy timeout.',
  },
  STORE_UNAVAILABLE: {
    retriable: true,
    summary: 'The database could not be reached or failed an I/O; nothing of the call was written.',
  },
  TRANSACTION_REENTRY: {
    retriable: false,
    summary: 'A write was started inside a transaction of the same store, which it would have to wait for; nothing of it was written.',
  },
  CONSUMER_NOT_FOUND: {
    retriable: false,
    summary: 'No consumer with that name has ever run against this store.',
  },
  CONSUMER_CONFLICT: {
    retriable: false,
    summary: 'A consumer of that name exists with another partition count or filter, or belongs to a projection.',
  },
  CHECKPOINT_LOST: {
    retriable: true,
    summary: 'A group member tried to move a checkpoint of a partition another member now holds; nothing was written.',
  },
  HANDLER_FAILED: {
    retriable: false,
    summary: 'A consumer handler failed on every attempt; the consumer stopped (it was told not to park).',
  },
  DELIVERY_FAILED: {
    retriable: true,
    summary: 'A group member served over HTTP did not handle an event: it said it failed, did not acknowledge in time, or went away.',
  },
  EVENT_NOT_IN_FLIGHT: {
    retriable: false,
    summary: 'An acknowledgement named an event that is not in flight for that member over HTTP; nothing of the request was settled.',
  },
  SCHEMA_TOO_NEW: {
    retriable: false,
    summary: 'The database was created by a newer Tributary than this one.',
  },
  ADDRESS_IN_USE: {
    retriable: false,
    summary: 'The server cannot listen: another process already holds the host and port.',
  },
  DATABASE_NOT_FOUND: {
    retriable: false,
    summary: 'The database the location names does not exist, and this call does not create one.',
  },
  AUTHENTICATION_FAILED: {
    retriable: false,
    summary: 'The database refused the credentials of the location: an unknown user or a wrong password.',
  },
  INVALID_REQUEST: {
    retriable: false,
    summary: 'An HTTP request does not match its route: a malformed body, query, header or path.',
  },
  REQUEST_HEADERS_TOO_LARGE: {
    retriable: false,
    summary: "An HTTP request's line and headers are larger than the server accepts.",
  },
  REQUEST_TIMEOUT: {
    retriable: true,
    summary: 'An HTTP request was not received completely in time; the server closed the connection.',
  },
  ROUTE_NOT_FOUND: {
    retriable: false,
    summary: 'No HTTP route answers this method and path.',
  },
  PAYLOAD_TOO_LARGE: {
    retriable: false,
    summary: 'An HTTP request body is larger than the server accepts.',
  },
  TOO_MANY_EVENTS: {
    retriable: false,
    summary: 'An append carries more events than the server accepts in one call.',
  },
  EVENT_TOO_LARGE: {
    retriable: false,
    summary: "An event's data and metadata are larger than the server accepts.",
  },
  UNAUTHORIZED: {
    retriable: false,
    summary: 'The request carries no valid bearer token, and the server requires one.',
  },
  FORBIDDEN: {
    retriable: false,
    summary: "The request's token is valid but its scopes do not allow this.",
  },
  SUBSCRIBER_TOO_SLOW: {
    retriable: true,
    summary: 'A live subscriber read too slowly and was cut off; reconnect from the last event id.',
  },
  OVERLOADED: {
    retriable: true,
    summary: 'The server has as much work in flight as it is configured to take; it answered at once instead of queueing. Retry after the Retry-After seconds.',
  },
  INTERNAL_ERROR: {
    retriable: false,
    summary: 'Tributary failed in a way it did not expect (a bug, or its database changed behind its back); a server logs the details.',
  },
  SERVER_NOT_SECURED: {
    retriable: false,
    summary: 'The server was asked to listen beyond this machine without tokens: it refuses to start open.',
  },
  PROJECTION_NOT_FOUND: {
    retriable: false,
    summary: 'No projection of that name is registered in this store.',
  },
  PROJECTION_CONFLICT: {
    retriable: false,
    summary: 'A projection of that name is registered with another sink, or its generations do not allow the change asked for (another rebuild of it started first).',
  },
  PROJECTION_UNSUPPORTED: {
    retriable: false,
    summary: 'The store cannot host this projection: its sink needs SQL the backend does not offer (a remote store).',
  },
  INVALID_PROJECTION: {
    retriable: false,
    summary: 'A projection definition (code or declarative file) is malformed.',
  },
  PROJECTION_NOT_CAUGHT_UP: {
    retriable: true,
    summary: 'A projection did not reach the awaited position in time.',
  },
  PROJECTION_BUSY: {
    retriable: true,
    summary: 'A projection is being removed, or another process still writes its lake files; retrying finishes the removal.',
  },
  DOCUMENT_NOT_FOUND: {
    retriable: false,
    summary: 'A document projection has no document with that id.',
  },
  SNAPSHOT_UNSUPPORTED: {
    retriable: false,
    summary: 'A decider keeps snapshots, but the store keeps none (a remote store).',
  },
  SNAPSHOT_NOT_JSON: {
    retriable: false,
    summary: "A decider's state cannot be kept as a snapshot: it is not plain JSON (a Map, a Date, a class instance, undefined, a non-finite number…).",
  },
  LAKE_QUERY_FAILED: {
    retriable: false,
    summary: 'DuckDB refused or failed a SQL query over the data lake.',
  },
  LAKE_QUERY_REFUSED: {
    retriable: false,
    summary: 'A lake query is not one read-only SELECT, or calls a table function the lake does not offer; nothing ran.',
  },
  LAKE_QUERY_TIMEOUT: {
    retriable: false,
    summary: 'A lake query ran longer than its time limit and was interrupted.',
  },
  LAKE_QUERY_OUT_OF_MEMORY: {
    retriable: false,
    summary: 'A lake query needed more memory than its DuckDB memory limit; it was stopped.',
  },
  LAKE_BUSY: {
    retriable: true,
    summary: 'As many lake queries as the process allows are running; try again shortly.',
  },
  LAKE_WORKER_LOST: {
    retriable: true,
    summary: 'The process running a lake query ended before it answered (killed, crashed, or shutting down); the next query gets a new one.',
  },
  MIRROR_READ_ONLY: {
    retriable: false,
    summary: 'The store is a mirror of another store: it takes no appends, deletes or metadata until it is promoted.',
  },
  MIRROR_TARGET_REFUSED: {
    retriable: false,
    summary: 'A mirror or restore target is neither an empty store nor a copy of the same source at the right place; nothing was written.',
  },
  MIRROR_DIVERGED: {
    retriable: false,
    summary: 'A mirror target changed under the mirror (another writer, or another mirror); the mirror stopped.',
  },
  NOT_A_MIRROR: {
    retriable: false,
    summary: 'The store is not a mirror, so it cannot be promoted or followed.',
  },
  BACKUP_CORRUPT: {
    retriable: false,
    summary: 'A backup file is not a Tributary backup, is truncated, or fails its checksum; nothing was restored.',
  },
  RESERVED_STREAM: {
    retriable: false,
    summary: 'The stream name starts with `$`: such streams are the store\'s own (the schema registry…) and only the store writes them.',
  },
  INVALID_SCHEMA: {
    retriable: false,
    summary: 'A schema registration is malformed: not JSON Schema 2020-12, a `$ref` outside the registry, a bad type name or category, or malformed upcaster rules; nothing was registered.',
  },
  SCHEMA_NOT_FOUND: {
    retriable: false,
    summary: 'No schema is registered for the event type, or not that version of it.',
  },
  SCHEMA_INCOMPATIBLE: {
    retriable: false,
    summary: 'A new schema version breaks the compatibility mode of its event type; it was not registered.',
  },
  SCHEMA_VALIDATION_FAILED: {
    retriable: false,
    summary: 'Events broke the registered schema of their type in a category that enforces schemas; nothing of the append was written.',
  },
  INVALID_AS_OF: {
    retriable: false,
    summary: 'A point in the log to read as of is neither an ISO 8601 time nor a position from 1 up to the head; nothing was read.',
  },
  INVALID_BRANCH_NAME: {
    retriable: false,
    summary: 'A branch name is not 1 to 64 characters of lower-case letters, digits, `_` and `-`.',
  },
  BRANCH_NOT_FOUND: {
    retriable: false,
    summary: 'No branch of that name exists (it was never created, or it was deleted); nothing was written.',
  },
  BRANCH_EXISTS: {
    retriable: false,
    summary: 'A branch of that name exists already; delete it first to fork again.',
  },
  BRANCH_UNSUPPORTED: {
    retriable: false,
    summary: 'The operation changes the real log or its streams (delete, metadata, scavenge), or belongs to the real log alone (consumers, stream listings), and has no meaning on a branch.',
  },
  INVALID_REPLAY_TARGET: {
    retriable: false,
    summary: 'A clean-room replay was pointed at the live store itself, or at a scratch store or lake directory that is not empty; nothing was written.',
  },
  // corrections, erasure, history and the gateway (docs/corrections.md, docs/gateway.md)
  EVENT_NOT_FOUND: {
    retriable: false,
    summary: 'No event with that id is stored (it was never appended, or it was scavenged); nothing was written.',
  },
  INVALID_CORRECTION: {
    retriable: false,
    summary: "The event cannot be reversed or redacted as asked: it belongs to the store's own streams, or the reason, type or data given is malformed; nothing was written.",
  },
  INVALID_PERSONAL_FIELDS: {
    retriable: false,
    summary: 'A personal-field declaration is malformed: a path that is not into data, no subject path, or a field that is also the subject; nothing was stored.',
  },
  GATEWAY_NO_RECORDING: {
    retriable: false,
    summary: 'A gateway query ran during a replay, found no answer recorded on the first handling of the event and has no fallback: the handler fails like any other failure.',
  },
  GATEWAY_OUTSIDE_HANDLER: {
    retriable: false,
    summary: 'The gateway was called outside a consumer or projection handler, so it cannot know which event it answers for.',
  },
  GATEWAY_UNSUPPORTED: {
    retriable: false,
    summary: "The store the handler runs on keeps no gateway recordings (a remote store): a gateway call cannot be recorded or answered from a recording.",
  },
} as const satisfies Record<string, { retriable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorDetails = Record<string, unknown>;

const brand = Symbol.for('tributary.error');

/**
 * An error with a stable `code` and the facts behind it in `details`.
 *
 * ```ts
 * try { await store.append('account-1', events, { expectedRevision: 3 }) }
 * catch (e) { if (isTributaryError(e, 'WRONG_EXPECTED_REVISION')) console.log(e.details.actual) }
 * ```
 */
export class TributaryError extends Error {
  override readonly name = 'TributaryError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
    this.retriable = ERROR_CODES[code].retriable;
  }

  // a brand instead of instanceof alone, so two loaded copies of the package still agree
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  get [brand](): true {
    return true;
  }

  /** The `{code, message, ...details}` body the HTTP contract and the CLI's `--json` print. */
  toJSON(): { code: ErrorCode; message: string } & ErrorDetails {
    return { ...this.details, code: this.code, message: this.message };
  }
}

/** True when `error` is a TributaryError, and of `code` when one is given. */
export function isTributaryError<C extends ErrorCode>(
  error: unknown,
  code?: C,
): error is TributaryError & { code: C } {
  return error instanceof TributaryError && (code === undefined || error.code === code);
}

export function wrongExpectedRevision(stream: string, expected: unknown, actual: unknown): TributaryError {
  return new TributaryError(
    'WRONG_EXPECTED_REVISION',
    `stream ${JSON.stringify(stream)} was expected at ${String(expected)} but is at ${String(actual)}`,
    { stream, expected, actual },
  );
}

export function streamNotFound(stream: string): TributaryError {
  return new TributaryError('STREAM_NOT_FOUND', `stream ${JSON.stringify(stream)} not found`, { stream });
}

export function streamDeleted(stream: string): TributaryError {
  return new TributaryError('STREAM_DELETED', `stream ${JSON.stringify(stream)} was tombstoned`, { stream });
}

export function invalidArgument(name: string, reason: string): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', `${name} ${reason}`, { argument: name });
}

/**
 * The error a decider throws to refuse a command.
 *
 * ```ts
 * if (command.amount > state.balance) throw rejectCommand('insufficient funds', { balance: state.balance });
 * ```
 */
export function rejectCommand(reason: string, details: ErrorDetails = {}): TributaryError {
  return new TributaryError('COMMAND_REJECTED', reason, { ...details, reason });
}
