import { TributaryError } from '../../core/errors.js';

/** The DuckDB type of a lake column. */
export type LakeColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP' | 'JSON';

/** A column of a lake's rows besides the `day` and `category` partitions. */
export interface LakeColumn {
  name: string;
  type: LakeColumnType;
}

const COLUMN_TYPES: readonly LakeColumnType[] = ['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP', 'JSON'];
// the hive partitions every lake row has besides its columns
const PARTITION_COLUMNS = ['day', 'category'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const ISO_WITHOUT_OFFSET = /T[\d:.]+$/;

/** A value as the appender takes it: TIMESTAMP as epoch microseconds, JSON as its text. */
export type Cell = string | number | bigint | boolean | null;

/**
 * JSON that is already text, for a JSON column: stored as it is, so an event's
 * stored data goes into the lake without being parsed and written again.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Each type takes one kind of JS value; anything else is NULL, so one odd event cannot stop the lake. */
export const TO_CELL: Record<LakeColumnType, (value: unknown) => Cell> = {
  VARCHAR: (value) => (typeof value === 'string' ? value : null),
  BIGINT: (value) => {
    if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : null;
    return Number.isSafeInteger(value) ? BigInt(value as number) : null;
  },
  DOUBLE: (value) => (typeof value === 'number' ? value : null),
  BOOLEAN: (value) => (typeof value === 'boolean' ? value : null),
  TIMESTAMP: timestampMicros,
  JSON: (value) => {
    if (value === undefined || value === null) return null;
    if (value instanceof JsonText) return value.text;
    try {
      return JSON.stringify(value) ?? null;
    } catch {
      return null;
    }
  },
};

/** Throws INVALID_PROJECTION unless the columns are named once each, typed, and clear of the partitions. */
export function assertColumns(columns: readonly LakeColumn[]): void {
  const problem = columnsProblem(columns);
  if (problem !== undefined) throw new TributaryError('INVALID_PROJECTION', `lake columns ${problem}`, { columns });
}

/** What is wrong with a lake's columns, or undefined: named once each, typed, and clear of the partitions. */
export function columnsProblem(columns: readonly LakeColumn[]): string | undefined {
  if (columns.length === 0) return 'must list at least one column';
  // DuckDB identifiers are case-insensitive
  const seen = new Set<string>(PARTITION_COLUMNS);
  for (const column of columns) {
    if (typeof column?.name !== 'string' || column.name === '') return 'need a non-empty name each';
    if (!COLUMN_TYPES.includes(column.type)) return `give ${JSON.stringify(column.name)} a type of ${COLUMN_TYPES.join(', ')}`;
    const key = column.name.toLowerCase();
    if (seen.has(key)) return `name ${JSON.stringify(column.name)} twice, or day or category (the partitions)`;
    seen.add(key);
  }
  return undefined;
}

function timestampMicros(value: unknown): bigint | null {
  let millis: number;
  if (typeof value === 'number') millis = value;
  else if (value instanceof Date) millis = value.getTime();
  // an ISO date-time without an offset is UTC here, not the machine's local time
  else if (typeof value === 'string') millis = Date.parse(ISO_WITHOUT_OFFSET.test(value) ? `${value}Z` : value);
  else return null;
  if (Number.isNaN(new Date(millis).getTime())) return null;
  return Number.isInteger(millis) ? BigInt(millis) * 1000n : BigInt(Math.round(millis * 1000));
}
