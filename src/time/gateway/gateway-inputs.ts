import { TributaryError, invalidArgument } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import { currentHandling, type Handling } from '../../subscriptions/handling.js';
import type { GatewayRecording, GatewayRecordings } from '../../store/gateway-recordings.js';

/** The longest key a gateway call may be recorded under. */
export const MAX_GATEWAY_KEY_LENGTH = 256;

/**
 * The handling a gateway call answers for, with the event and the recordings
 * it answers from; refuses a call outside every handler or on a store without
 * recordings. `named`: the event a call of a transaction handler is for.
 */
export function handlingOf(call: 'query' | 'effect', key: unknown, fn: unknown, named: RecordedEvent | undefined): Handling & { event: RecordedEvent; recordings: GatewayRecordings } {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_GATEWAY_KEY_LENGTH) {
    throw invalidArgument('key', `must be a string of 1 to ${MAX_GATEWAY_KEY_LENGTH} characters, got ${describe(key)}`);
  }
  if (typeof fn !== 'function') throw invalidArgument('fn', `must be a function, got ${describe(fn)}`);
  const handling = currentHandling();
  if (handling === undefined) {
    throw new TributaryError('GATEWAY_OUTSIDE_HANDLER', `gateway.${call}(${JSON.stringify(key)}) was called outside a consumer or projection handler: it answers for the event a handler is handling`, {
      key,
    });
  }
  const event = eventOf(call, key, handling, named);
  const { recordings } = handling;
  if (recordings === undefined) {
    throw new TributaryError('GATEWAY_UNSUPPORTED', `gateway.${call}(${JSON.stringify(key)}): the store ${handling.owner} runs on keeps no gateway recordings (a remote store)`, {
      owner: handling.owner,
      key,
    });
  }
  return { ...handling, event, recordings };
}

/** The event in hand, or the one a transaction handler's call names: one of its batch. */
function eventOf(call: string, key: string, handling: Handling, named: RecordedEvent | undefined): RecordedEvent {
  if (named === undefined) {
    if (handling.event !== undefined) return handling.event;
    throw new TributaryError('GATEWAY_OUTSIDE_HANDLER', `gateway.${call}(${JSON.stringify(key)}) in a transaction handler, which handles a batch: name the event with { event }`, { key });
  }
  const batch = handling.batch ?? (handling.event === undefined ? [] : [handling.event]);
  const event = batch.find((candidate) => candidate.id === (named as { id?: unknown } | null)?.id);
  if (event === undefined) throw invalidArgument('event', `of gateway.${call}(${JSON.stringify(key)}) must be the event in hand (or one of a transaction handler's batch)`);
  return event;
}

/** A query's response as JSON gives it back, the same on the first handling as on every later one: undefined is null. */
export function asJson(key: string, response: unknown): unknown {
  if (response === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(response);
  } catch (error) {
    throw invalidArgument('response', `of gateway.query(${JSON.stringify(key)}) must be JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw invalidArgument('response', `of gateway.query(${JSON.stringify(key)}) must be JSON, got a ${typeof response}`);
  return JSON.parse(text);
}

/** `recording`, when a call of `kind` made it: one key names one call per event, a query's or an effect's. */
export function ofKind(recording: GatewayRecording, kind: GatewayRecording['kind'], key: string): GatewayRecording {
  if (recording.kind !== kind) {
    throw invalidArgument('key', `${JSON.stringify(key)} is recorded for this event by gateway.${recording.kind}, not gateway.${kind}: give each call a key of its own`);
  }
  return recording;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `${value.length} characters`;
  return value === null ? 'null' : typeof value;
}
