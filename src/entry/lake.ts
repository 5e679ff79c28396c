/** `tributary/lake`: lake projections (Parquet files) and SQL over them. DuckDB loads when a lake is fed, and runs queries in worker processes. */
export {
  lakeSink,
  writeEvent,
  JsonText,
  queryLakes,
  DEFAULT_LAKE_LIMITS,
  LakeQuerySlots,
  PROCESS_LAKE_SLOTS,
  type LakeContext,
  type LakeSinkOptions,
  type LakeColumn,
  type LakeColumnType,
  type LakeQueryOptions,
  type LakeQuerySlotsOptions,
  type QueryLakesOptions,
  type LakeAnswer,
  type LakeLimits,
} from '../projections/index.js';
