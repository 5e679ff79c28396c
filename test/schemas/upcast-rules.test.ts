import { describe, expect, it } from 'vitest';
import type { UpcastRule } from '../../src/store/schema-registry.js';
import { applyUpcastRules } from '../../src/schemas/upcast-rules.js';

// the JSON text pins the members' order too: what a reader of the upcast event's text gets
const cases: [string, unknown, UpcastRule[], string][] = [
  ['rename puts the new name last', { a: 1, name: 'Ada', b: 2 }, [{ op: 'rename', path: '/name', to: 'fullName' }], '{"a":1,"b":2,"fullName":"Ada"}'],
  ['rename onto a member keeps that member in its place', { fullName: 'old', name: 'Ada', b: 2 }, [{ op: 'rename', path: '/name', to: 'fullName' }], '{"fullName":"Ada","b":2}'],
  ['rename nested', { c: { x: 1, zip: '1011', y: 2 }, d: 3 }, [{ op: 'rename', path: '/c/zip', to: 'postcode' }], '{"c":{"x":1,"y":2,"postcode":"1011"},"d":3}'],
  ['rename of a missing member', { a: 1 }, [{ op: 'rename', path: '/name', to: 'fullName' }], '{"a":1}'],
  ['move into new parents', { address: { zip: '1011', city: 'A' }, k: 1 }, [{ op: 'move', from: '/address/zip', to: '/post/code' }], '{"address":{"city":"A"},"k":1,"post":{"code":"1011"}}'],
  ['move within one object', { a: 1, b: 2, c: 3 }, [{ op: 'move', from: '/a', to: '/z' }], '{"b":2,"c":3,"z":1}'],
  ['move into its own old place', { a: { b: 1 } }, [{ op: 'move', from: '/a', to: '/a/inner' }], '{"a":{"inner":{"b":1}}}'],
  [
    'default of an object and a string, never over a member',
    { tier: 'gold' },
    [
      { op: 'default', path: '/prefs', value: { mail: true } },
      { op: 'default', path: '/country', value: 'NL' },
      { op: 'default', path: '/tier', value: 'basic' },
    ],
    '{"tier":"gold","prefs":{"mail":true},"country":"NL"}',
  ],
  ['default under a missing parent', { a: 1 }, [{ op: 'default', path: '/x/y', value: 0 }], '{"a":1,"x":{"y":0}}'],
  ['drop, and drop of a missing member', { a: 1, legacy: true, b: 2 }, [{ op: 'drop', path: '/legacy' }, { op: 'drop', path: '/missing' }], '{"a":1,"b":2}'],
  [
    'rules through something that is not an object do nothing',
    { a: [1, 2], s: 'x' },
    [
      { op: 'rename', path: '/a/0', to: 'z' },
      { op: 'drop', path: '/s/length' },
      { op: 'default', path: '/s/q', value: 1 },
    ],
    '{"a":[1,2],"s":"x"}',
  ],
  ['data that is not an object', 'text', [{ op: 'default', path: '/a', value: 1 }], '"text"'],
  ['escaped pointers', { 'a/b': 1, 'c~d': 2 }, [{ op: 'rename', path: '/a~1b', to: 'ab' }, { op: 'drop', path: '/c~0d' }], '{"ab":1}'],
  [
    'every op in a row',
    { name: 'Ada', address: { zip: '1011' }, legacy: 1 },
    [
      { op: 'rename', path: '/name', to: 'fullName' },
      { op: 'move', from: '/address/zip', to: '/postcode' },
      { op: 'default', path: '/country', value: 'NL' },
      { op: 'drop', path: '/legacy' },
    ],
    '{"address":{},"fullName":"Ada","postcode":"1011","country":"NL"}',
  ],
];

describe('upcaster rules', () => {
  it.each(cases)('%s', (_, data, rules, expected) => {
    expect(JSON.stringify(applyUpcastRules(structuredClone(data), rules))).toBe(expected);
    // the rules are parsed once and kept: the second event gets the same
    expect(JSON.stringify(applyUpcastRules(structuredClone(data), rules))).toBe(expected);
  });

  it('gives each event its own copy of an object default', () => {
    const rules: UpcastRule[] = [{ op: 'default', path: '/prefs', value: { mail: true } }];
    const first = applyUpcastRules({}, rules) as { prefs: { mail: boolean } };
    first.prefs.mail = false;
    expect(applyUpcastRules({}, rules)).toEqual({ prefs: { mail: true } });
    expect(rules[0]).toEqual({ op: 'default', path: '/prefs', value: { mail: true } });
  });

  it('keeps a parsed __proto__ member as data when the object around it is rebuilt', () => {
    const upcast = applyUpcastRules(JSON.parse('{"__proto__":{"polluted":true},"old":1}'), [{ op: 'rename', path: '/old', to: 'new' }]) as Record<string, unknown>;
    expect(JSON.stringify(upcast)).toBe('{"__proto__":{"polluted":true},"new":1}');
    expect(Object.getPrototypeOf(upcast)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
