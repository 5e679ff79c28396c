import type { SqlTransaction } from './consumer-store.js';
import type { EventStore } from './event-store.js';
import type { SqlAccess } from './sql-access.js';

/** What the gateway kept of one call made on the first handling of an event. */
export interface GatewayRecording {
  /** `query`: `response` is the answer, JSON. `effect`: the effect ran; `response` is null. */
  kind: 'query' | 'effect';
  response: unknown;
  /** Milliseconds since the epoch. */
  recordedAt: number;
}

/**
 * Where a store keeps the gateway's recordings, keyed by (owner, event id,
 * key): the owner is `consumer:<name>` or `projection:<name>`, one for every
 * generation of a projection, so a rebuild finds the first generation's answers.
 *
 * ```ts
 * const kept = await recordingsOf(store)?.find('projection:orders', event.id, 'rate:EUR');
 * ```
 */
export interface GatewayRecordings {
  find(owner: string, eventId: string, key: string): Promise<GatewayRecording | undefined>;
  /** Keeps `recording` unless one is kept under the same key already; returns the one kept (a concurrent first record wins). */
  record(owner: string, eventId: string, key: string, recording: GatewayRecording): Promise<GatewayRecording>;
  /** Drops every recording of `owner` (a projection removed, a consumer deleted); returns how many. */
  drop(owner: string): Promise<number>;
  /** Set on the recordings a branch hands out: the real store's, answering a replay of branch `branch`. */
  readonly branch?: string;
}

const TABLE = 'tributary_gateway_recordings';
const recordingsBySql = new WeakMap<SqlAccess, GatewayRecordings>();

/** The recordings of `store`: its own, or those in its SQL database; undefined on a store that has neither (a remote one). */
export function recordingsOf(store: Pick<EventStore, 'recordings' | 'sql'>): GatewayRecordings | undefined {
  if (store.recordings !== undefined) return store.recordings;
  const { sql } = store;
  if (sql === undefined) return undefined;
  let recordings = recordingsBySql.get(sql);
  if (recordings === undefined) {
    recordings = sqlRecordings(sql);
    recordingsBySql.set(sql, recordings);
  }
  return recordings;
}

/** The real store's recordings as a branch of it hands them out: a replay of the branch answers from them, as a branch replay. */
export function branchRecordings(real: GatewayRecordings | undefined, branch: string): GatewayRecordings | undefined {
  if (real === undefined) return undefined;
  return {
    find: (owner, eventId, key) => real.find(owner, eventId, key),
    record: (owner, eventId, key, recording) => real.record(owner, eventId, key, recording),
    drop: (owner) => real.drop(owner),
    branch,
  };
}

/** Recordings read and written through the store's SQL access, each write in a transaction of its own. */
function sqlRecordings(sql: SqlAccess): GatewayRecordings {
  return {
    find: (owner, eventId, key) => findRecording(sql, owner, eventId, key),
    record: (owner, eventId, key, recording) => sql.transaction((tx) => keepRecording(tx, owner, eventId, key, recording)),
    drop: (owner) => sql.transaction(async (tx) => (await tx.execute(tx.dialect.placeholders(`DELETE FROM ${TABLE} WHERE owner = ?`), [owner])).changes),
  };
}

/**
 * Recordings read and written through an open transaction: a handler that
 * writes in the store's transaction (a SQL projection) records in it, so the
 * recording commits or rolls back with the handler's effects, and no second
 * transaction waits on the first.
 */
export function recordingsIn(tx: SqlTransaction): GatewayRecordings {
  return {
    find: (owner, eventId, key) => findRecording(tx, owner, eventId, key),
    record: (owner, eventId, key, recording) => keepRecording(tx, owner, eventId, key, recording),
    drop: async (owner) => (await tx.execute(tx.dialect.placeholders(`DELETE FROM ${TABLE} WHERE owner = ?`), [owner])).changes,
  };
}

interface RecordingRow {
  kind: string;
  response: string | null;
  recorded_at: number | string;
}

async function findRecording(db: Pick<SqlTransaction, 'dialect' | 'query'>, owner: string, eventId: string, key: string): Promise<GatewayRecording | undefined> {
  const [row] = await db.query<RecordingRow>(db.dialect.placeholders(`SELECT kind, response, recorded_at FROM ${TABLE} WHERE owner = ? AND event_id = ? AND key = ?`), [
    owner,
    eventId,
    key,
  ]);
  if (row === undefined) return undefined;
  return { kind: row.kind === 'effect' ? 'effect' : 'query', response: row.response === null ? null : JSON.parse(row.response), recordedAt: Number(row.recorded_at) };
}

async function keepRecording(tx: SqlTransaction, owner: string, eventId: string, key: string, recording: GatewayRecording): Promise<GatewayRecording> {
  const { changes } = await tx.execute(
    tx.dialect.placeholders(`INSERT INTO ${TABLE} (owner, event_id, key, kind, response, recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner, event_id, key) DO NOTHING`),
    [owner, eventId, key, recording.kind, JSON.stringify(recording.response), recording.recordedAt],
  );
  if (changes > 0) return recording;
  // another handling recorded first: its answer is the one every later handling gets
  return (await findRecording(tx, owner, eventId, key)) ?? recording;
}
