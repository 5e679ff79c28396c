import { DEFAULT_LAKE_LIMITS, type LakeLimits } from '../projections/sinks/lake-limits.js';
import { DEFAULT_LAKE_QUERIES } from '../projections/sinks/lake-slots.js';
import { MAX_PAGE_SIZE } from '../store/options.js';

/** What one request may carry; beyond these the server answers 413 with a coded error and stores nothing. */
export interface ServerLimits {
  /** Largest request body in bytes; default 4 MiB. */
  bodyBytes: number;
  /** Most events in one append; default 1,000. */
  eventsPerAppend: number;
  /** Largest event (data and metadata as JSON) in bytes; default 1 MiB. */
  eventBytes: number;
  /** Largest page a read returns; default the store's maximum. */
  pageSize: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  bodyBytes: 4 * 1024 * 1024,
  eventsPerAppend: 1_000,
  eventBytes: 1024 * 1024,
  pageSize: MAX_PAGE_SIZE,
};

/** What `POST /lake/query` may return, take and use: each query's limits, and how many run at once. */
export interface ServerLakeLimits extends LakeLimits {
  /** Lake queries running at once, each in a worker process of its own; one more is refused with LAKE_BUSY (503); default 2. */
  concurrent: number;
}

export const DEFAULT_LAKE: ServerLakeLimits = { ...DEFAULT_LAKE_LIMITS, concurrent: DEFAULT_LAKE_QUERIES };

/** How live subscriptions behave. */
export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream; default 15,000 ms. */
  heartbeatMs: number;
  /** A subscriber whose socket has this many bytes unsent is too slow and is cut off; default 4 MiB. */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE: SseOptions = { heartbeatMs: 15_000, maxBufferedBytes: 4 * 1024 * 1024 };
