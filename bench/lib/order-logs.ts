// The logs the schema benchmark reads, built once and kept in bench/.data/, keyed by size, shape and layout:
//  - v1: orders written as version 1 (stamped schemaVersion 1), then version 2 registered with the stored
//    upcaster 1 → 2, so every event read goes through one upcaster;
//  - v2: orders written as version 2 with versions 1 and 2 registered and no upcaster.
// Built through openStore and appendMany, calls of 1,000 events over ten streams of 100, four calls in flight.
import { SCHEMA_VERSION } from '../../src/backends/sqlite/sqlite-schema.js';
import type { StreamAppend } from '../../src/core/stream-appends.js';
import type { EventStore } from '../../src/store/event-store.js';
import { cachedLog, sqliteLogCache, type LogCache } from './log-cache.js';
import { timed } from './measure.js';
import { ORDER_CATEGORY, ORDER_TYPE, ORDER_V1, ORDER_V1_TO_V2, ORDER_V2, orderData } from './order-contract.js';

// bump when the layout or the contract changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;

export type OrderLogShape = 'v1' | 'v2';

export const orderLogs = (shape: OrderLogShape): LogCache => sqliteLogCache((events) => `schemas-orders-${shape}-l${LAYOUT_VERSION}-s${SCHEMA_VERSION}-${events}.db`);

const CALL_EVENTS = 1000;
const STREAM_LENGTH = 100;
const BUILD_IN_FLIGHT = 4;

/** Registers version 1 of the order contract, and version 2 (compatibility NONE: the rename needs the upcaster) when `withV2`. */
export async function registerOrders(store: EventStore, withV2: boolean): Promise<void> {
  await store.schemas!.register(ORDER_TYPE, ORDER_V1, { categories: [ORDER_CATEGORY] });
  if (!withV2) return;
  await store.schemas!.setCompatibility(ORDER_TYPE, 'NONE');
  await store.schemas!.register(ORDER_TYPE, ORDER_V2);
}

function* orderCalls(events: number, version: 1 | 2): Generator<StreamAppend[]> {
  for (let first = 0; first < events; first += CALL_EVENTS) {
    const call: StreamAppend[] = [];
    for (let start = first; start < Math.min(events, first + CALL_EVENTS); start += STREAM_LENGTH) {
      const length = Math.min(STREAM_LENGTH, events - start);
      call.push({ stream: `${ORDER_CATEGORY}-${start / STREAM_LENGTH}`, events: Array.from({ length }, (_, n) => ({ type: ORDER_TYPE, data: orderData(start + n, version) })) });
    }
    yield call;
  }
}

async function build(store: EventStore, shape: OrderLogShape, events: number, progress: (written: number) => void): Promise<number> {
  await registerOrders(store, shape === 'v2');
  const calls = orderCalls(events, shape === 'v1' ? 1 : 2);
  let written = 0;
  const seconds = await timed(() =>
    Promise.all(
      Array.from({ length: BUILD_IN_FLIGHT }, async () => {
        for (let call = calls.next(); call.done !== true; call = calls.next()) {
          await store.appendMany(call.value);
          written += call.value.reduce((sum, part) => sum + part.events.length, 0);
          progress(written);
        }
      }),
    ),
  );
  if (shape === 'v1') {
    await registerOrders(store, true);
    await store.schemas!.addUpcaster(ORDER_TYPE, 1, ORDER_V1_TO_V2);
  }
  return seconds;
}

/** The cached order log of `shape` and `events` events, built first when it is missing or `rebuild` asks; answers its file. */
export async function orderLogOf(shape: OrderLogShape, events: number, rebuild: boolean): Promise<string> {
  const label = `${shape} order log of ${events.toLocaleString('en-US')} events`;
  return cachedLog(orderLogs(shape), events, label, rebuild, (store, progress) => build(store, shape, events, progress));
}
