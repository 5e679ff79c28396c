import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Forgets } from '../../src/privacy/forgets-feed.js';
import { KEY_FRESH_MS, KEY_REREAD_MS, KeyCache } from '../../src/privacy/key-cache.js';
import type { SubjectKey } from '../../src/store/subject-keys.js';
import { MemoryKeys } from '../support/memory-subject-keys.js';

/** Keys in memory that count the reads of the table. */
class CountedKeys extends MemoryKeys {
  reads = 0;
  override keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    this.reads++;
    return super.keysFor(subjects);
  }
  override secrets(keyIds: readonly number[]): Promise<Map<number, Buffer | null>> {
    this.reads++;
    return super.secrets(keyIds);
  }
}

/** A feed that reports the subjects queued since the last look. */
class QueuedForgets implements Forgets {
  queued: string[] = [];
  looks = 0;
  forgotten(): Promise<string[]> {
    this.looks++;
    const subjects = this.queued;
    this.queued = [];
    return Promise.resolve(subjects);
  }
}

beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => vi.useRealTimers());

const later = (ms: number) => vi.setSystemTime(Date.now() + ms);

it('without a forgets feed, a key is read again once it is older than KEY_FRESH_MS', async () => {
  const keys = new CountedKeys();
  const cache = new KeyCache(keys);
  const { keyId } = await cache.keyFor('ada');
  await cache.secrets([keyId]);
  expect(keys.reads).toBe(2);
  later(KEY_FRESH_MS - 1);
  await cache.keyFor('ada');
  await cache.secrets([keyId]);
  expect(keys.reads).toBe(2);
  later(2);
  await cache.keyFor('ada');
  await cache.secrets([keyId]);
  expect(keys.reads).toBe(4);
});

it('with a forgets feed, keys stay cached while no forget is reported, and a subject forgotten elsewhere is dropped at the next look', async () => {
  const keys = new CountedKeys();
  const feed = new QueuedForgets();
  const cache = new KeyCache(keys, feed);
  const ada = await cache.keyFor('ada');
  const bob = await cache.keyFor('bob');
  expect((await cache.secrets([ada.keyId, bob.keyId])).get(ada.keyId)).toEqual(ada.secret);
  expect(keys.reads).toBe(3);
  later(KEY_FRESH_MS * 5);
  await cache.keysFor(['ada', 'bob']);
  await cache.secrets([ada.keyId, bob.keyId]);
  expect(keys.reads).toBe(3);
  expect(feed.looks).toBe(2);

  // ada is forgotten in another process: the table says so, and the feed reports it
  await keys.forget('ada');
  feed.queued = ['ada'];
  later(KEY_FRESH_MS);
  expect((await cache.secrets([ada.keyId, bob.keyId])).get(ada.keyId)).toBeNull();
  const renewed = await cache.keyFor('ada');
  expect(renewed.keyId).not.toBe(ada.keyId);
  expect((await cache.keyFor('bob')).keyId).toBe(bob.keyId);

  // a forget whose audit event never came is taken in when the keys are read again all the same
  await keys.forget('bob');
  const reads = keys.reads;
  later(KEY_REREAD_MS);
  expect((await cache.secrets([bob.keyId])).get(bob.keyId)).toBeNull();
  expect(keys.reads).toBe(reads + 1);
});
