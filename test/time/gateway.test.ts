import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import type { RecordedEvent } from '../../src/core/event.js';
import { defineProjection, type ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { lakeSink, type LakeContext } from '../../src/projections/sinks/lake.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import { openStore } from '../../src/open/open-store.js';
import { openScratchStore } from '../../src/open/scratch-store.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { rebuildProgress, requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { removeProjection } from '../../src/projections/lifecycle/remove.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import type { HandlerContext } from '../../src/subscriptions/consumer-options.js';
import { parkedEvents, replayParked } from '../../src/subscriptions/parked.js';
import { removeConsumer } from '../../src/subscriptions/remove-consumer.js';
import { gateway, gatewayWith, type SkippedEffect } from '../../src/time/gateway/gateway.js';
import { replayProjection } from '../../src/time/replay.js';
import { backends, scratch } from '../support/backends.js';
import { eventually, placeOrders, pricedOrders, pricedRows, recordingCount, startRateService, type Seen } from './gateway-fixtures.js';

const FAST = { watchMs: 50, pageSize: 3, leaseMs: 2_000, heartbeatMs: 200 };

describe.each(backends)('the gateway on a $name store', ({ name: backend, location }) => {
  it('a projection asking a rate service calls it once per event across live, rebuild, clean-room and branch replays, and sends each mail once', async () => {
    const store = await openStore(location(`gateway-projection-${backend}`));
    const service = await startRateService();
    const skipped: SkippedEffect[] = [];
    const gateway = gatewayWith({ onSkip: (skip) => skipped.push(skip) });
    const seen: Seen[] = [];
    const mails: string[] = [];
    const cleanRoom = await openScratchStore();
    const onBranch = await openScratchStore();
    try {
      await placeOrders(store, 0, 5);
      const running = await runProjection(store, pricedOrders(gateway, service, seen, mails), FAST);
      try {
        await waitForProjection(store, 'priced', await store.headPosition(), { timeoutMs: 15_000 });
        const live = await pricedRows(store);
        expect(live).toHaveLength(5);
        expect(new Set(live.map((row) => row.cents / (Number(row.stream.slice(6)) + 1) / 10)).size).toBe(5);
        expect(seen.map((s) => s.replay)).toEqual([false, false, false, false, false]);
        expect(service.total()).toBe(5);

        // a rebuild: generation 2 handles what generation 1 has, and gets its answers
        seen.length = 0;
        const { generation } = await requestRebuild(store, 'priced');
        await eventually(async () => (await rebuildProgress(store, 'priced', generation)).done);
        expect(await pricedRows(store)).toEqual(live);
        expect(seen.map((s) => `${s.table}:${s.replay}`)).toEqual(Array(5).fill('priced_g2:rebuild'));
        expect(skipped.map((s) => s.reason)).toEqual(Array(5).fill('recorded'));
        expect(service.total()).toBe(5);
      } finally {
        await running.stop();
      }

      // a clean-room replay into a scratch store answers from the live store's recordings
      seen.length = 0;
      skipped.length = 0;
      const replayed = await replayProjection(store, pricedOrders(gateway, service, seen, mails), { into: cleanRoom.store });
      expect(replayed.parked).toBe(0);
      expect(await pricedRows(cleanRoom.store)).toEqual(await pricedRows(store));
      expect(seen.map((s) => s.replay)).toEqual(Array(5).fill('clean-room'));

      // a branch replays the real log up to its fork from the real store's recordings
      seen.length = 0;
      await store.branches!.create('what-if', { at: await store.headPosition() });
      const branched = await replayProjection(store.branch!('what-if'), pricedOrders(gateway, service, seen, mails), { into: onBranch.store });
      expect(branched.parked).toBe(0);
      expect(await pricedRows(onBranch.store)).toEqual(await pricedRows(store));
      expect(seen.map((s) => s.replay)).toEqual(Array(5).fill('branch'));

      expect([...service.calls.values()]).toEqual([1, 1, 1, 1, 1]);
      expect(mails.sort()).toEqual(['order-0', 'order-1', 'order-2', 'order-3', 'order-4']);
      expect(skipped).toHaveLength(10);
      // the scratch stores hold none: a replay writes nothing, and answers from its source
      expect(await recordingCount(cleanRoom.store, 'projection:priced')).toBe(0);
      expect(await recordingCount(store, 'projection:priced')).toBe(10);

      await removeProjection(store, 'priced');
      expect(await recordingCount(store, 'projection:priced')).toBe(0);
    } finally {
      await cleanRoom.dispose();
      await onBranch.dispose();
      await service.close();
      await store.close();
    }
  });

  it('a replay meeting an event with no recorded answer takes the fallback, or fails the handler until the event is parked', async () => {
    const store = await openStore(location(`gateway-no-recording-${backend}`));
    const service = await startRateService();
    const gateway = gatewayWith({ onSkip: () => undefined });
    const seen: Seen[] = [];
    const withFallback = await openScratchStore();
    const without = await openScratchStore();
    try {
      await placeOrders(store, 0, 2);
      const running = await runProjection(store, pricedOrders(gateway, service, seen, []), FAST);
      await waitForProjection(store, 'priced', await store.headPosition(), { timeoutMs: 15_000 });
      await running.stop();

      // the replayed handlers ask under a key the live ones never asked
      const fallback = await replayProjection(store, pricedOrders(gateway, service, seen, [], 1, 'tax', 50), { into: withFallback.store });
      expect(fallback.parked).toBe(0);
      expect(await pricedRows(withFallback.store)).toEqual([
        { stream: 'order-0', cents: 500 },
        { stream: 'order-1', cents: 1000 },
      ]);

      const errors: unknown[] = [];
      const failed = await replayProjection(store, pricedOrders(gateway, service, seen, [], 1, 'tax'), { into: without.store, onError: (e) => errors.push(e) });
      expect(failed.parked).toBe(2);
      const parked = await parkedEvents(without.store, 'projection:priced:g1');
      expect(parked.map((p) => p.attempts)).toEqual([5, 5]);
      expect(parked[0]!.error).toContain('gateway.query("tax") during a clean-room replay of event 1 (OrderPlaced in order-0): projection:priced recorded no answer');
      expect(service.total()).toBe(2);
    } finally {
      await withFallback.dispose();
      await without.dispose();
      await service.close();
      await store.close();
    }
  });

  it('a consumer runs each effect once: a retry after the effect and a parked event replayed skip it, a restart after a gap runs the new ones', async () => {
    const store = await openStore(location(`gateway-consumer-${backend}`));
    const skipped: SkippedEffect[] = [];
    const gateway = gatewayWith({ onSkip: (skip) => skipped.push(skip) });
    const mails: string[] = [];
    const seen: string[] = [];
    let mailServerDown = true;
    const options = {
      name: 'mailer',
      retry: { attempts: 2, initialDelayMs: 10 },
      heartbeatMs: 50,
      handler: async (event: { stream: string }, context: HandlerContext) => {
        seen.push(`${event.stream}:${context.attempt}:${String(context.replay)}`);
        await gateway.effect('mail', () => void mails.push(event.stream));
        // the mail went out, then the handler fails: the retry must not send it again
        if (event.stream === 'mail-1' && context.attempt === 1) throw new Error('failed after sending');
        if (event.stream === 'mail-2' && mailServerDown) throw new Error('failed after sending, every time');
      },
    };
    try {
      for (let i = 0; i < 3; i++) await store.append(`mail-${i}`, [{ type: 'Registered', data: {} }]);
      let consumer = await startConsumer(store, options);
      await eventually(async () => (await parkedEvents(store, 'mailer')).length === 1);
      expect(seen).toEqual(['mail-0:1:false', 'mail-1:1:false', 'mail-1:2:redelivery', 'mail-2:1:false', 'mail-2:2:redelivery']);

      mailServerDown = false;
      await replayParked(store, 'mailer');
      await eventually(async () => (await parkedEvents(store, 'mailer')).length === 0);
      expect(seen.at(-1)).toBe('mail-2:1:redelivery');
      await consumer.stop();

      // down for a while: the events appended meanwhile are first handlings, and their mails go out
      for (let i = 3; i < 5; i++) await store.append(`mail-${i}`, [{ type: 'Registered', data: {} }]);
      consumer = await startConsumer(store, options);
      await eventually(() => mails.length === 5);
      await consumer.stop();
      expect(seen.slice(-2)).toEqual(['mail-3:1:false', 'mail-4:1:false']);
      expect(mails).toEqual(['mail-0', 'mail-1', 'mail-2', 'mail-3', 'mail-4']);
      expect(skipped.map((s) => `${s.owner}:${s.key}:${s.position}:${s.reason}`)).toEqual([
        'consumer:mailer:mail:2:recorded',
        'consumer:mailer:mail:3:recorded',
        'consumer:mailer:mail:3:recorded',
      ]);

      expect(await recordingCount(store, 'consumer:mailer')).toBe(5);
      expect(await removeConsumer(store, 'mailer')).toBe(true);
      expect(await recordingCount(store, 'consumer:mailer')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("a lake projection answers as the projection, a SQL projection's retried event is a redelivery, and a transaction handler gets its batch's mode and names the event of each gateway call", async () => {
    const store = await openStore(location(`gateway-sinks-${backend}`));
    const service = await startRateService();
    const lakeModes: unknown[] = [];
    const lakeOf = (version: number): ProjectionDefinition<unknown> => defineProjection<LakeContext>({
      name: 'rates_lake',
      version,
      sink: lakeSink({ directory: join(scratch, `gateway-lake-${backend}`), rollMs: 50, columns: [{ name: 'rate', type: 'DOUBLE' }] }),
      handlers: {
        OrderPlaced: async (event: RecordedEvent, context) => {
          lakeModes.push(context.replay);
          context.write({ rate: await gateway.query('rate', () => service.rate(event.id)) });
        },
      },
    }) as ProjectionDefinition<unknown>;
    const lake = lakeOf(1);
    let failures = 0;
    const tableModes: string[] = [];
    const flaky: ProjectionDefinition<unknown> = defineProjection<TableContext>({
      name: 'flaky',
      version: 1,
      sink: tableSink({ schema: (t) => [`CREATE TABLE "${t}" (stream TEXT PRIMARY KEY)`] }),
      handlers: {
        OrderPlaced: async (event: RecordedEvent, { tx, table, replay }) => {
          tableModes.push(`${event.stream}:${String(replay)}`);
          await tx.execute(tx.dialect.placeholders(`INSERT INTO "${table}" VALUES (?)`), [event.stream]);
          // fails in the page, and once more alone
          if (event.stream === 'order-1' && failures++ < 2) throw new Error('fails twice');
        },
      },
    }) as ProjectionDefinition<unknown>;
    const batches: string[] = [];
    try {
      await placeOrders(store, 0, 2);
      const runningLake = await runProjection(store, lake, FAST);
      const runningTable = await runProjection(store, flaky, FAST);
      const batchConsumer = await startConsumer(store, {
        name: 'batches',
        transaction: async (events, _tx, { replay }) => {
          const refused = await gateway.query('rate', () => 1).catch((error: unknown) => (isTributaryError(error) ? error.code : 'other'));
          // named, the call is for one event of the batch, and records in the batch's transaction
          const answered = await gateway.query('rate', () => events.length, { event: events[1]! });
          batches.push(`${events.length}:${String(replay)}:${String(refused)}:${answered}`);
        },
      });
      try {
        await eventually(async () => (await recordingCount(store, 'projection:rates_lake')) === 2 && batches.length > 0);
        await waitForProjection(store, 'flaky', await store.headPosition(), { timeoutMs: 15_000 });
      } finally {
        await batchConsumer.stop();
        await runningTable.stop();
        await runningLake.stop();
      }
      expect(lakeModes).toEqual([false, false]);
      // a new version of the lake rebuilds beside the old one, from the answers the old one recorded
      const rebuilding = await runProjection(store, lakeOf(2), FAST);
      try {
        await eventually(() => lakeModes.length === 4);
      } finally {
        await rebuilding.stop();
      }
      expect(lakeModes.slice(2)).toEqual(['rebuild', 'rebuild']);
      expect(await recordingCount(store, 'consumer:projection:rates_lake:g1')).toBe(0);
      // the page fails at order-1, then each event is handled alone: order-1's second attempt alone is a redelivery
      expect(tableModes).toEqual(['order-0:false', 'order-1:false', 'order-0:false', 'order-1:false', 'order-1:redelivery']);
      expect(batches).toEqual(['2:false:GATEWAY_OUTSIDE_HANDLER:2']);
      expect(await recordingCount(store, 'consumer:batches')).toBe(1);
      expect(service.total()).toBe(2);
    } finally {
      await service.close();
      await store.close();
    }
  });
});
