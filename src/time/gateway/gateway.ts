import { debuglog } from 'node:util';
import { TributaryError } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import { asJson, handlingOf, ofKind } from './gateway-inputs.js';

/** Which event a call is for: needed only in a transaction handler, which handles a batch. */
export interface EffectOptions {
  /** One of the transaction handler's events; elsewhere, if given, the event in hand. */
  event?: RecordedEvent;
}

/** What a query does when a replay meets an event whose first handling recorded no answer, and which event it is for. */
export interface QueryOptions<T> extends EffectOptions {
  /** Returned in place of a recorded answer (a function is called for it); without it the query fails with GATEWAY_NO_RECORDING. */
  fallback?: T | (() => T);
}

/** A skipped effect, as the gateway logs it. */
export interface SkippedEffect {
  owner: string;
  eventId: string;
  position: number;
  key: string;
  /** `recorded`: it ran on an earlier handling. Otherwise the replay that met the event without a record of it. */
  reason: 'recorded' | 'rebuild' | 'clean-room' | 'branch';
}

/**
 * The one door from handlers to the outside world: it knows a first handling
 * of an event from a replay, and answers replays from what it recorded.
 */
export interface Gateway {
  /**
   * The answer of `fn` for the event in hand under `key`: called and recorded
   * on the first handling (and on a redelivery that finds nothing recorded);
   * on every later handling the recorded answer, else `fallback`, else
   * GATEWAY_NO_RECORDING. The answer is JSON: what a replay gets back is what
   * the first handling got (undefined becomes null).
   *
   * ```ts
   * const rate = await gateway.query(`rate:${event.data.currency}`, () => rates.today(event.data.currency));
   * ```
   */
  query<T>(key: string, fn: () => Promise<T> | T, options?: QueryOptions<T>): Promise<T>;
  /**
   * Runs `fn` on the first handling of the event in hand only, and records
   * that it ran; later handlings (a rebuild, a replay, a retry after it ran)
   * skip it and log the skip. True when it ran.
   *
   * ```ts
   * await gateway.effect('confirmation-mail', () => mailer.send(event.data.email));
   * ```
   */
  effect(key: string, fn: () => unknown, options?: EffectOptions): Promise<boolean>;
}

export interface GatewayOptions {
  /** Told of every effect skipped; default: logged under NODE_DEBUG=tributary-gateway. */
  onSkip?: (skipped: SkippedEffect) => void;
}

const debug = debuglog('tributary-gateway');

/**
 * A gateway that reports skipped effects to `onSkip`; the exported `gateway`
 * logs them for NODE_DEBUG=tributary-gateway.
 *
 * ```ts
 * const audited = gatewayWith({ onSkip: (s) => log.info('skipped', s) });
 * ```
 */
export function gatewayWith(options: GatewayOptions = {}): Gateway {
  const onSkip = options.onSkip ?? ((s: SkippedEffect) => debug('skipped effect %s of %s for event %s (%s)', s.key, s.owner, s.eventId, s.reason));
  return {
    async query<T>(key: string, fn: () => Promise<T> | T, queryOptions?: QueryOptions<T>): Promise<T> {
      const { owner, event, replay, recordings } = handlingOf('query', key, fn, queryOptions?.event);
      const kept = await recordings.find(owner, event.id, key);
      if (kept !== undefined) return ofKind(kept, 'query', key).response as T;
      if (replay !== false && replay !== 'redelivery') {
        if (queryOptions !== undefined && 'fallback' in queryOptions) {
          const { fallback } = queryOptions;
          return typeof fallback === 'function' ? (fallback as () => T)() : (fallback as T);
        }
        throw new TributaryError(
          'GATEWAY_NO_RECORDING',
          `gateway.query(${JSON.stringify(key)}) during a ${replay === 'rebuild' ? replay : `${replay} replay`} of event ${event.position} (${event.type} in ${event.stream}): ${owner} recorded no answer on its first handling, and the query has no fallback`,
          { owner, eventId: event.id, position: event.position, key, replay },
        );
      }
      const response = asJson(key, await fn());
      return (await recordings.record(owner, event.id, key, { kind: 'query', response, recordedAt: Date.now() })).response as T;
    },

    async effect(key: string, fn: () => unknown, effectOptions?: EffectOptions): Promise<boolean> {
      const { owner, event, replay, recordings } = handlingOf('effect', key, fn, effectOptions?.event);
      const skip = (reason: SkippedEffect['reason']): false => {
        onSkip({ owner, eventId: event.id, position: event.position, key, reason });
        return false;
      };
      const kept = await recordings.find(owner, event.id, key);
      if (kept !== undefined) {
        ofKind(kept, 'effect', key);
        return skip('recorded');
      }
      if (replay !== false && replay !== 'redelivery') return skip(replay);
      await fn();
      await recordings.record(owner, event.id, key, { kind: 'effect', response: null, recordedAt: Date.now() });
      return true;
    },
  };
}

/**
 * The gateway every handler may use: it finds the event in hand by itself.
 *
 * ```ts
 * handlers: { OrderPlaced: async (event, { tx, table }) => {
 *   const rate = await gateway.query(`rate:${event.data.currency}`, () => rates.today(event.data.currency));
 *   await tx.execute(`INSERT INTO ${table} VALUES (?, ?)`, [event.stream, event.data.total * rate]);
 * } }
 * ```
 */
export const gateway: Gateway = gatewayWith();
