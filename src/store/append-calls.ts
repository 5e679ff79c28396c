import type { EventData } from '../core/event.js';
import { checkCondition, type CheckedCondition } from '../core/event-query.js';
import { assertExpectedRevision } from '../core/expected-revision.js';
import { prepareEvents } from '../core/proposed-event.js';
import { prepareAppends, type PreparedAppend, type StreamAppend } from '../core/stream-appends.js';
import { assertStreamName } from '../core/stream-name.js';
import type { AppendManyOptions, AppendOptions } from './event-store.js';

/** A call of `append` or `appendMany`, checked before it reaches a backend's writer: the streams it writes, all or none, and its condition. */
export interface AppendCall {
  /** The store method, for errors such as TRANSACTION_REENTRY. */
  readonly operation: 'store.append' | 'store.appendMany';
  readonly parts: readonly PreparedAppend[];
  readonly condition: CheckedCondition | undefined;
}

/** Checks an `append` call; throws the coded refusal of its first bad input. */
export function singleAppendCall(stream: string, events: readonly EventData[], options: AppendOptions): AppendCall {
  assertStreamName(stream);
  const expected = options.expectedRevision === undefined ? 'any' : options.expectedRevision;
  assertExpectedRevision(expected);
  const parts = [{ stream, events: prepareEvents(events), expected }];
  return { operation: 'store.append', parts, condition: conditionOf(options.condition) };
}

/** Checks an `appendMany` call; throws the coded refusal of its first bad input. */
export function manyAppendCall(appends: readonly StreamAppend[], options: AppendManyOptions): AppendCall {
  return { operation: 'store.appendMany', parts: prepareAppends(appends), condition: conditionOf(options.condition) };
}

function conditionOf(condition: AppendOptions['condition']): CheckedCondition | undefined {
  return condition === undefined ? undefined : checkCondition(condition);
}
