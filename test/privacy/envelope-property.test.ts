import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { RecordedEvent } from '../../src/core/event.js';
import { Declarations, PERSONAL_FIELDS_DECLARED } from '../../src/privacy/declarations.js';
import { openValues, sealValues } from '../../src/privacy/envelope.js';
import { KeyCache } from '../../src/privacy/key-cache.js';
import { openEvents } from '../../src/privacy/open-events.js';
import { sealEvents } from '../../src/privacy/seal-events.js';
import { MemoryKeys } from '../support/memory-subject-keys.js';

const segment = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => /^[^.$\s][^.\s]*$/u.test(s) && s !== '__proto__');
const paths = fc.array(segment, { minLength: 1, maxLength: 4 });

function nest(segments: readonly string[], value: unknown): Record<string, unknown> {
  return segments.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** `data` with `value` at `segments`, made on the way: the paths given never lie inside one another. */
function put(data: Record<string, unknown>, segments: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = segments as [string, ...string[]];
  const inner = Object.hasOwn(data, head) ? (data[head] as Record<string, unknown>) : {};
  return { ...data, [head]: rest.length === 0 ? value : put(inner, rest, value) };
}

const apart = (a: readonly string[], b: readonly string[]) => a.join('.') !== b.join('.') && !a.join('.').startsWith(`${b.join('.')}.`) && !b.join('.').startsWith(`${a.join('.')}.`);

it('any JSON values at any two declared paths round-trip through seal and open, and read as forgotten after forget', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), paths, paths, fc.boolean(), fc.boolean(), async (value, other, segments, otherSegments, bothPresent, withId) => {
      fc.pre(apart(segments, otherSegments));
      const fields = [`data.${segments.join('.')}`, `data.${otherSegments.join('.')}`];
      const declarations = new Declarations();
      const subjectKey = [segments[0], otherSegments[0]].includes('who') ? ([segments[0], otherSegments[0]].includes('whom') ? 'whose' : 'whom') : 'who';
      declarations.apply(
        new RecordedEvent('d', '$privacy-person', PERSONAL_FIELDS_DECLARED, 0, 1, JSON.stringify({ category: 'person', subject: `data.${subjectKey}`, fields }), null, 0),
      );
      const keys = new KeyCache(new MemoryKeys());
      const personal = bothPresent ? put(nest(segments, value), otherSegments, other) : nest(otherSegments, other);
      const data = { ...personal, [subjectKey]: 'p-1' };
      const id = withId ? '0191e1c4-6a2b-7cc3-9d3e-2f1c1d1e1f10' : undefined;
      const [sealed] = await sealEvents([{ id, type: 'Seen', data }], declarations.current.get('person')!, keys);
      const stored = new RecordedEvent('e', 'person-1', 'Seen', 0, 2, JSON.stringify(sealed!.data), null, 0);
      expect(stored.dataJson.match(/"\$encrypted":"v2\./gu)).toHaveLength(1);
      const [opened] = await openEvents([stored], declarations, keys, 'plain');
      expect(opened!.data).toEqual(JSON.parse(JSON.stringify(data)));
      const [kept] = await openEvents([stored], declarations, keys, 'sealed');
      expect(kept!.data).toEqual(sealed!.data);
      await keys.forget('p-1');
      const [forgotten] = await openEvents([stored], declarations, keys, 'plain');
      const marker = { $personal: 'forgotten' };
      const gone = bothPresent ? put(nest(segments, marker), otherSegments, marker) : nest(otherSegments, marker);
      expect(forgotten!.data).toEqual({ ...gone, [subjectKey]: 'p-1' });
    }),
    { numRuns: 300 },
  );
});

it('a stub without its envelope, or an envelope whose values were swapped between fields, reads as unreadable', async () => {
  const declarations = new Declarations();
  declarations.apply(
    new RecordedEvent('d', '$privacy-person', PERSONAL_FIELDS_DECLARED, 0, 1, JSON.stringify({ category: 'person', subject: 'data.who', fields: ['data.email', 'data.phone'] }), null, 0),
  );
  const keys = new KeyCache(new MemoryKeys());
  const [sealed] = await sealEvents([{ type: 'Seen', data: { who: 'p-1', email: 'a@example.com', phone: '123' } }], declarations.current.get('person')!, keys);
  const { email, phone } = sealed!.data as Record<string, unknown>;
  expect(phone).toEqual({ $encrypted: '@data.email' });
  const stored = (data: unknown, position: number) => new RecordedEvent(`e${position}`, 'person-1', 'Seen', 0, position, JSON.stringify(data), null, 0);
  const opened = await openEvents([stored({ who: 'p-1', phone }, 2), stored({ who: 'p-1', email: phone, phone: email }, 3)], declarations, keys, 'plain');
  const unreadable = { $personal: 'unreadable' };
  expect(opened.map((event) => event.data)).toEqual([
    { who: 'p-1', phone: unreadable },
    { who: 'p-1', email: unreadable, phone: unreadable },
  ]);
});

it('an envelope moved to another field, or opened with another key, does not open', () => {
  const key = randomBytes(32);
  const text = sealValues({ 'data.email': 'secret' }, 1, key, 'data.email');
  expect(text).toMatch(/^v2\.1\.[\w-]{16}\.[\w-]+$/u);
  expect(openValues(text, key, 'data.email')).toEqual({ 'data.email': 'secret' });
  expect(openValues(text, key, 'data.phone')).toBeUndefined();
  expect(openValues(text, randomBytes(32), 'data.email')).toBeUndefined();
  expect(openValues(text.replace('v2.1.', 'v2.2.'), key, 'data.email')).toBeUndefined();
  expect(openValues(`${text.slice(0, -2)}AA`, key, 'data.email')).toBeUndefined();
});

it('random nonces never repeat, and a seed gives the same bytes for the same values only', () => {
  const key = randomBytes(32);
  const nonces = new Set(Array.from({ length: 10_000 }, () => sealValues({ 'data.email': 'same' }, 1, key, 'data.email').split('.')[2]));
  expect(nonces.size).toBe(10_000);
  const seeded = sealValues({ 'data.email': 'same' }, 1, key, 'data.email', 'event-1');
  expect(sealValues({ 'data.email': 'same' }, 1, key, 'data.email', 'event-1')).toBe(seeded);
  expect(sealValues({ 'data.email': 'other' }, 1, key, 'data.email', 'event-1').split('.')[2]).not.toBe(seeded.split('.')[2]);
  expect(sealValues({ 'data.email': 'same' }, 1, key, 'data.email', 'event-2').split('.')[2]).not.toBe(seeded.split('.')[2]);
});
