import type { EventStore } from '../../src/store/event-store.js';

const noted = (value: unknown) => ({ type: 'Noted', data: value });

/**
 * What an exact copy must carry, written to `store`: appends with unusual JSON
 * and tags, metadata (one stream's without events), a soft delete and an append
 * after it, a tombstone, and a scavenge that leaves gaps and takes the log's
 * last events. `bulk` adds that many streams of 300 events of about 1.5 KB first.
 */
export async function busyHistory(store: EventStore, round: number, bulk = 0): Promise<void> {
  for (let i = 0; i < bulk; i++) {
    await store.append(`order-${round}-${i}`, Array.from({ length: 300 }, (_, n) => noted({ n, text: 'é\u2028"\\ 😀'.repeat(40), big: 1e21, small: 0.1 })));
  }
  await store.append(`order-${round}`, [noted({ n: 1, text: 'é\u2028"\\' }), noted({ big: 1e21, small: 0.1, nested: { b: 1, a: [true, null] } })]);
  await store.append(`order-${round}`, [{ type: 'Tagged', data: {}, tags: [`customer:${round}`, 'region:eu'] }], { expectedRevision: 1 });
  await store.appendMany([
    { stream: `invoice-${round}`, events: [noted({ i: 1 }), noted({ i: 2 }), noted({ i: 3 }), noted({ i: 4 })] },
    { stream: `gone-${round}`, events: [noted({ g: 1 })] },
  ]);
  await store.setStreamMetadata(`invoice-${round}`, { maxCount: 2, custom: { owner: 'billing', round } });
  await store.setStreamMetadata(`config-${round}`, { custom: { only: 'metadata' } });
  await store.deleteStream(`gone-${round}`);
  await store.append(`gone-${round}`, [noted({ again: true })]);
  await store.append(`dead-${round}`, [noted({ d: 1 })]);
  await store.tombstoneStream(`dead-${round}`);
  await store.append(`tail-${round}`, [noted({ t: 1 }), noted({ t: 2 })]);
  await store.deleteStream(`tail-${round}`);
  await store.scavenge();
}
