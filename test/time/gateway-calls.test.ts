import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { recordingsOf } from '../../src/store/gateway-recordings.js';
import { runHandling, type ReplayMode } from '../../src/subscriptions/handling.js';
import { gateway, gatewayWith, type SkippedEffect } from '../../src/time/gateway/gateway.js';
import { MAX_GATEWAY_KEY_LENGTH } from '../../src/time/gateway/gateway-inputs.js';
import { backends } from '../support/backends.js';
import { refusal } from '../support/refusal.js';

/** Runs `work` as the handling of `event` by `owner`, answered from `store`'s recordings. */
function handling<T>(store: EventStore, event: RecordedEvent, replay: ReplayMode, work: () => Promise<T>, owner = 'consumer:calls'): Promise<T> {
  return runHandling({ owner, event, replay, recordings: recordingsOf(store) }, work);
}

describe.each(backends)('gateway calls on a $name store', ({ name: backend, location }) => {
  it('records a query once, answers every later handling from it, and a replay without one from the fallback or not at all', async () => {
    const store = await openStore(location(`gateway-calls-${backend}`));
    try {
      await store.append('rates-1', [{ type: 'Asked', data: {} }, { type: 'Asked', data: {} }]);
      const [first, second] = (await store.readAll()).events;
      let calls = 0;
      const ask = () => ({ rate: ++calls, at: new Date(0), missing: undefined });
      const answer = { rate: 1, at: '1970-01-01T00:00:00.000Z' };
      // the first handling gets what JSON keeps: what every replay will get
      expect(await handling(store, first!, false, () => gateway.query('rate', ask))).toStrictEqual(answer);
      for (const mode of ['redelivery', 'rebuild', 'clean-room', 'branch'] as const) {
        expect(await handling(store, first!, mode, () => gateway.query('rate', ask))).toEqual(answer);
      }
      // another owner and another key are other recordings
      expect(await handling(store, first!, false, () => gateway.query('rate', ask), 'projection:calls')).toMatchObject({ rate: 2 });
      expect(await handling(store, first!, false, () => gateway.query('other', () => undefined))).toBeNull();
      expect(calls).toBe(2);

      // a redelivery that finds nothing asks; a replay takes the fallback, a function's answer, or fails
      expect(await handling(store, second!, 'rebuild', () => gateway.query<unknown>('rate', ask, { fallback: 7 }))).toBe(7);
      expect(await handling(store, second!, 'clean-room', () => gateway.query<unknown>('rate', ask, { fallback: () => ({ rate: 0 }) }))).toEqual({ rate: 0 });
      const failed = await refusal(handling(store, second!, 'branch', () => gateway.query('rate', ask)));
      expect(failed).toEqual({ code: 'GATEWAY_NO_RECORDING', details: { owner: 'consumer:calls', eventId: second!.id, position: 2, key: 'rate', replay: 'branch' } });
      expect(calls).toBe(2);
      expect(await handling(store, second!, 'redelivery', () => gateway.query('rate', ask))).toMatchObject({ rate: 3 });
    } finally {
      await store.close();
    }
  });

  it('of two first handlings asking at once, the answer recorded first is the one both get', async () => {
    const store = await openStore(location(`gateway-race-${backend}`));
    try {
      await store.append('rates-1', [{ type: 'Asked', data: {} }]);
      const [event] = (await store.readAll()).events;
      const slow = (value: string, ms: number) => () => new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));
      const answers = await Promise.all([
        handling(store, event!, false, () => gateway.query('rate', slow('fast', 5))),
        handling(store, event!, false, () => gateway.query('rate', slow('slow', 80))),
      ]);
      expect(answers).toEqual(['fast', 'fast']);
    } finally {
      await store.close();
    }
  });

  it('runs an effect on the first handling only, and logs each skip with the owner, event and key', async () => {
    const store = await openStore(location(`gateway-effects-${backend}`));
    try {
      await store.append('mail-1', [{ type: 'Registered', data: {} }, { type: 'Registered', data: {} }]);
      const [first, second] = (await store.readAll()).events;
      const skipped: SkippedEffect[] = [];
      const logged = gatewayWith({ onSkip: (skip) => skipped.push(skip) });
      let sent = 0;
      const send = () => void sent++;
      expect(await handling(store, first!, false, () => logged.effect('mail', send))).toBe(true);
      expect(await handling(store, first!, 'redelivery', () => logged.effect('mail', send))).toBe(false);
      // a replay meeting an event never handled live skips it all the same: a replay never reaches out
      expect(await handling(store, second!, 'rebuild', () => logged.effect('mail', send))).toBe(false);
      expect(sent).toBe(1);
      expect(skipped).toEqual([
        { owner: 'consumer:calls', eventId: first!.id, position: 1, key: 'mail', reason: 'recorded' },
        { owner: 'consumer:calls', eventId: second!.id, position: 2, key: 'mail', reason: 'rebuild' },
      ]);
      // a failing effect records nothing: the retry runs it
      await expect(handling(store, second!, false, () => logged.effect('mail', () => Promise.reject(new Error('smtp down'))))).rejects.toThrow('smtp down');
      expect(await handling(store, second!, 'redelivery', () => logged.effect('mail', send))).toBe(true);
      expect(sent).toBe(2);
      // a call names the event in hand or none: not another one
      expect(await refusal(handling(store, first!, false, () => logged.effect('other', send, { event: second! })))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'event' } });
      expect(await handling(store, first!, false, () => logged.effect('named', send, { event: first! }))).toBe(true);
      expect(sent).toBe(3);
      // one key names one call: an effect's key is not a query's
      expect((await refusal(handling(store, first!, false, () => logged.query('mail', () => 1)))).code).toBe('INVALID_ARGUMENT');
    } finally {
      await store.close();
    }
  });
});

describe('gateway refusals', () => {
  const event = { id: '00000000-0000-4000-8000-000000000001', position: 1, type: 'Asked', stream: 'rates-1' } as RecordedEvent;

  it('refuses a call outside every handler, and one on a store that keeps no recordings', async () => {
    expect(await refusal(gateway.query('rate', () => 1))).toEqual({ code: 'GATEWAY_OUTSIDE_HANDLER', details: { key: 'rate' } });
    expect((await refusal(gateway.effect('mail', () => undefined))).code).toBe('GATEWAY_OUTSIDE_HANDLER');
    const remote = () => runHandling({ owner: 'consumer:remote', event, replay: false, recordings: undefined }, () => gateway.query('rate', () => 1));
    expect(await refusal(remote())).toEqual({ code: 'GATEWAY_UNSUPPORTED', details: { owner: 'consumer:remote', key: 'rate' } });
  });

  it('refuses keys that are not 1 to 256 characters, a call that is not a function, and a response JSON cannot hold', async () => {
    const store = await openStore(':memory:');
    try {
      const within = <T>(work: () => Promise<T>) => handling(store, event, false, work);
      for (const key of ['', 'k'.repeat(MAX_GATEWAY_KEY_LENGTH + 1), 42, null] as unknown[]) {
        expect(await refusal(within(() => gateway.query(key as string, () => 1)))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'key' } });
        expect(await refusal(within(() => gateway.effect(key as string, () => 1)))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'key' } });
      }
      expect(await refusal(within(() => gateway.query('rate', 1 as unknown as () => number)))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'fn' } });
      expect(await refusal(within(() => gateway.query('big', () => 1n)))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'response' } });
      expect(await refusal(within(() => gateway.query('fn', () => () => 1)))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'response' } });
      expect(await within(() => gateway.query('k'.repeat(MAX_GATEWAY_KEY_LENGTH), () => 'longest'))).toBe('longest');
    } finally {
      await store.close();
    }
  });
});
