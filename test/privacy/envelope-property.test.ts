import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { RecordedEvent } from '../../src/core/event.js';
import { Declarations, PERSONAL_FIELDS_DECLARED } from '../../src/privacy/declarations.js';
import { openValue, sealValue } from '../../src/privacy/envelope.js';
import { KeyCache } from '../../src/privacy/key-cache.js';
import { openEvents } from '../../src/privacy/open-events.js';
import { sealEvents } from '../../src/privacy/seal-events.js';
import type { SubjectKey, SubjectKeys } from '../../src/store/subject-keys.js';

/** Keys in memory: what the keys table does, without a database. */
class MemoryKeys implements SubjectKeys {
  readonly #live = new Map<string, SubjectKey>();
  readonly #secrets = new Map<number, Buffer | null>();
  keyFor(subject: string): Promise<SubjectKey> {
    let key = this.#live.get(subject);
    if (key === undefined) {
      key = { keyId: this.#secrets.size + 1, secret: randomBytes(32) };
      this.#live.set(subject, key);
      this.#secrets.set(key.keyId, key.secret);
    }
    return Promise.resolve(key);
  }
  async keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    const found = new Map<string, SubjectKey>();
    for (const subject of subjects) found.set(subject, await this.keyFor(subject));
    return found;
  }
  secrets(keyIds: readonly number[]): Promise<Map<number, Buffer | null>> {
    return Promise.resolve(new Map(keyIds.filter((id) => this.#secrets.has(id)).map((id) => [id, this.#secrets.get(id)!])));
  }
  forget(subject: string): Promise<'FORGOTTEN' | 'NO_KEY'> {
    const key = this.#live.get(subject);
    if (key === undefined) return Promise.resolve('NO_KEY');
    this.#live.delete(subject);
    this.#secrets.set(key.keyId, null);
    return Promise.resolve('FORGOTTEN');
  }
}

const segment = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => /^[^.$\s][^.\s]*$/u.test(s) && s !== '__proto__');
const paths = fc.array(segment, { minLength: 1, maxLength: 4 });

function nest(segments: readonly string[], value: unknown): Record<string, unknown> {
  return segments.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

it('any JSON value at any declared path round-trips through seal and open, and reads as forgotten after forget', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue(), paths, fc.boolean(), async (value, segments, withId) => {
      const path = `data.${segments.join('.')}`;
      const declarations = new Declarations();
      const subjectKey = segments[0] === 'who' ? 'whom' : 'who';
      declarations.apply(
        new RecordedEvent('d', '$privacy-person', PERSONAL_FIELDS_DECLARED, 0, 1, JSON.stringify({ category: 'person', subject: `data.${subjectKey}`, fields: [path] }), null, 0),
      );
      const keys = new KeyCache(new MemoryKeys());
      const data = { ...nest(segments, value), [subjectKey]: 'p-1' };
      const id = withId ? '0191e1c4-6a2b-7cc3-9d3e-2f1c1d1e1f10' : undefined;
      const [sealed] = await sealEvents([{ id, type: 'Seen', data }], declarations.current.get('person')!, keys);
      const stored = new RecordedEvent('e', 'person-1', 'Seen', 0, 2, JSON.stringify(sealed!.data), null, 0);
      expect(stored.dataJson).toContain('$encrypted');
      const [opened] = await openEvents([stored], declarations, keys, 'plain');
      expect(opened!.data).toEqual(JSON.parse(JSON.stringify(data)));
      await keys.forget('p-1');
      const [forgotten] = await openEvents([stored], declarations, keys, 'plain');
      expect(forgotten!.data).toEqual({ ...nest(segments, { $personal: 'forgotten' }), [subjectKey]: 'p-1' });
    }),
    { numRuns: 200 },
  );
});

it('an envelope moved to another field, or opened with another key, does not open', () => {
  const key = randomBytes(32);
  const { $encrypted } = sealValue('secret', 1, key, 'data.email');
  expect(openValue($encrypted, key, 'data.email')).toBe('secret');
  expect(openValue($encrypted, key, 'data.phone')).toEqual({ $personal: 'unreadable' });
  expect(openValue($encrypted, randomBytes(32), 'data.email')).toEqual({ $personal: 'unreadable' });
  expect(openValue($encrypted.replace('v1.1.', 'v1.2.'), key, 'data.email')).toEqual({ $personal: 'unreadable' });
});
