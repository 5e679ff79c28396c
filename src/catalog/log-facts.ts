import type { SqlAccess } from '../store/sql-access.js';

/** How many events of one type one category holds, and the newest one's position. */
export interface TypeInCategory {
  type: string;
  category: string;
  events: number;
  lastPosition: number;
}

/** An event's place and metadata, without its data: what producers and example choices need. */
export interface SampledEvent {
  position: number;
  metadata: Record<string, unknown> | null;
}

/** An event as the catalog shows it: as stored, never upcast. */
export interface CatalogEvent {
  id: string;
  stream: string;
  type: string;
  revision: number;
  position: number;
  recordedAt: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

// SQL IN lists are bound one value per placeholder: keep each statement well under SQLite's and pg's limits
const IN_CHUNK = 500;

/** When the events at `positions` were recorded, in milliseconds, by position. */
export async function recordedAtOf(sql: SqlAccess, positions: readonly number[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  for (const chunk of chunks(positions)) {
    const rows = await sql.query<{ position: number | string; recorded_at: number | string }>(
      sql.dialect.placeholders(`SELECT position, recorded_at FROM events WHERE position IN (${marks(chunk)})`),
      chunk,
    );
    for (const row of rows) times.set(Number(row.position), Number(row.recorded_at));
  }
  return times;
}

/**
 * The newest `limit` events of `type` in `categories`, newest first, with
 * their metadata only: producers and examples are taken from this sample, so
 * the work per type is bounded however long the log is.
 */
export async function newestOfType(sql: SqlAccess, type: string, categories: readonly string[], limit: number): Promise<SampledEvent[]> {
  if (categories.length === 0) return [];
  const rows = await sql.query<{ position: number | string; metadata: string | null }>(
    sql.dialect.placeholders(
      `SELECT e.position AS position, e.metadata AS metadata
         FROM events e JOIN streams s ON s.stream_id = e.stream_id
        WHERE e.type = ? AND s.category IN (${marks(categories)})
        ORDER BY e.position DESC LIMIT ?`,
    ),
    [type, ...categories, limit],
  );
  return rows.map((row) => ({ position: Number(row.position), metadata: parseObject(row.metadata) }));
}

/** The events at `positions`, whole and as stored, by position. */
export async function eventsAt(sql: SqlAccess, positions: readonly number[]): Promise<Map<number, CatalogEvent>> {
  const events = new Map<number, CatalogEvent>();
  for (const chunk of chunks(positions)) {
    const rows = await sql.query<{
      position: number | string;
      id: string;
      stream: string;
      revision: number | string;
      type: string;
      recorded_at: number | string;
      metadata: string | null;
      data: string;
    }>(sql.dialect.placeholders(`SELECT position, id, stream, revision, type, recorded_at, metadata, data FROM events WHERE position IN (${marks(chunk)})`), chunk);
    for (const row of rows) {
      events.set(Number(row.position), {
        id: String(row.id),
        stream: row.stream,
        type: row.type,
        revision: Number(row.revision),
        position: Number(row.position),
        recordedAt: new Date(Number(row.recorded_at)).toISOString(),
        data: JSON.parse(row.data) as unknown,
        metadata: parseObject(row.metadata) ?? {},
      });
    }
  }
  return events;
}

function parseObject(json: string | null): Record<string, unknown> | null {
  if (json === null) return null;
  const value = JSON.parse(json) as unknown;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function chunks<T>(values: readonly T[]): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < values.length; start += IN_CHUNK) parts.push(values.slice(start, start + IN_CHUNK));
  return parts;
}
