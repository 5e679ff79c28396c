import { DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import type { Cell, LakeColumnType } from './lake-cells.js';

/** How DuckDB's appender takes a cell of each type: kept out of lake-cells.ts, which projection definitions load, so they load no DuckDB. */
export const APPEND: Record<LakeColumnType, (appender: DuckDBAppender, cell: Cell) => void> = {
  VARCHAR: (appender, cell) => appender.appendVarchar(cell as string),
  BIGINT: (appender, cell) => appender.appendBigInt(cell as bigint),
  DOUBLE: (appender, cell) => appender.appendDouble(cell as number),
  BOOLEAN: (appender, cell) => appender.appendBoolean(cell as boolean),
  TIMESTAMP: (appender, cell) => appender.appendTimestamp(new DuckDBTimestampValue(cell as bigint)),
  JSON: (appender, cell) => appender.appendVarchar(cell as string),
};
