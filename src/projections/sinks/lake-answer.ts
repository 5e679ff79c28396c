import {
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  JsonDuckDBValueConverter,
  type DuckDBResult,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';

/** One row of a lake query's answer, JSON-safe. */
export type LakeRow = Record<string, Json>;

/** What a lake query answers: its rows, and whether more existed than the answer carries. */
export interface LakeAnswer {
  rows: LakeRow[];
  /** True when the query had more rows than the row limit, or than the answer's byte budget, let through. */
  truncated: boolean;
}

/**
 * Reads a streaming result a chunk at a time until `rows` rows, or `maxBytes` of cells, are out: DuckDB computes
 * no further than the chunk that holds the row after the last, and each chunk's rows go to `emit` as they are read,
 * so no more than one chunk is held here. `check` runs after every chunk, and throws to stop reading.
 * Resolves with whether the query had more rows than went out.
 */
export async function readAnswer(
  result: DuckDBResult,
  limits: { rows: number; maxBytes: number },
  check: () => void,
  emit: (rows: LakeRow[]) => void,
): Promise<{ truncated: boolean }> {
  const columns = result.deduplicatedColumnNames();
  let sent = 0;
  let bytes = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    check();
    if (chunk === null || chunk.rowCount === 0) return { truncated: false };
    const rows: LakeRow[] = [];
    let truncated = false;
    for (let index = 0; index < chunk.rowCount; index++) {
      if (sent + rows.length === limits.rows) {
        truncated = true;
        break;
      }
      const cells: [string, Json][] = [];
      chunk.visitRowValues(index, (value, _row, column, type) => {
        const cell = jsonSafe(value, type, jsonSafe);
        cells.push([columns[column]!, cell]);
        bytes += columns[column]!.length + jsonBytes(cell);
      });
      if (bytes > limits.maxBytes) {
        truncated = true;
        break;
      }
      // fromEntries, not assignment: a column named __proto__ is a column like any other
      rows.push(Object.fromEntries(cells));
    }
    if (rows.length > 0) emit(rows);
    sent += rows.length;
    if (truncated) return { truncated: true };
  }
}

/** About the size of `value` as JSON, without writing it. */
function jsonBytes(value: Json): number {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return 8;
  if (typeof value === 'string') return value.length + 2;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + 1 + jsonBytes(item), 2);
  return Object.entries(value).reduce<number>((sum, [key, item]) => sum + key.length + 4 + jsonBytes(item), 2);
}

/**
 * DuckDB values as JSON: BIGINT and HUGEINT as numbers when safe integers, else strings; DECIMAL as numbers;
 * DATE as 'YYYY-MM-DD'; TIMESTAMP as ISO strings in UTC ('2024-05-01T12:00:00.000Z'); JSON columns as their text.
 */
export const jsonSafe: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  const micros = timestampMicros(value);
  if (micros !== undefined) return isoTimestamp(micros) ?? String(value);
  return JsonDuckDBValueConverter(value, type, converter);
};

function timestampMicros(value: DuckDBValue): bigint | undefined {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return value.micros;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1000n;
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * 1_000_000n;
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.nanos / 1000n;
  return undefined;
}

/** ISO 8601 in UTC, with microseconds when there are any; undefined for infinities and years JS dates cannot hold. */
function isoTimestamp(micros: bigint): string | undefined {
  const remainder = ((micros % 1000n) + 1000n) % 1000n;
  const date = new Date(Number((micros - remainder) / 1000n));
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  return remainder === 0n ? iso : `${iso.slice(0, -1)}${String(remainder).padStart(3, '0')}Z`;
}
