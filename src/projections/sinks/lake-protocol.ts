import { ERROR_CODES, TributaryError, type ErrorCode, type ErrorDetails } from '../../core/errors.js';
import type { LakeRow } from './lake-answer.js';
import type { LakeColumn } from './lake-cells.js';

/** A lake as its manifest describes it: the view's name and columns, and its files as absolute paths. */
export interface LakeFiles {
  name: string;
  columns: readonly LakeColumn[];
  files: string[];
}

/** What the worker needs to run one query: the SQL, the lakes, and the limits it enforces itself. */
export interface LakeRequest {
  sql: string;
  lakes: LakeFiles[];
  limits: { rows: number; maxAnswerBytes: number; memoryMb: number };
}

/** Parent to worker: run a query, or interrupt the one with this id. */
export type ToWorker = { type: 'query'; id: number; request: LakeRequest } | { type: 'interrupt'; id: number };

/** A TributaryError as it crosses the process boundary. */
export interface CodedError {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

/**
 * Worker to parent: it has loaded; rows of query `id` (a chunk at a time, at most its row cap in all); the query's
 * end, or its error. The worker runs one query at a time and answers each with exactly one `done` or `failed`.
 */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'rows'; id: number; rows: LakeRow[] }
  | { type: 'done'; id: number; truncated: boolean }
  | { type: 'failed'; id: number; error: CodedError };

export function encodeError(error: TributaryError): CodedError {
  return { code: error.code, message: error.message, details: error.details };
}

/** The worker's error as a TributaryError again; a code this build does not know is LAKE_QUERY_FAILED. */
export function decodeError(error: CodedError): TributaryError {
  const code = Object.hasOwn(ERROR_CODES, error.code) ? error.code : 'LAKE_QUERY_FAILED';
  return new TributaryError(code, error.message, error.details);
}
