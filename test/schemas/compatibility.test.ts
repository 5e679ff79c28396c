import { describe, expect, it } from 'vitest';
import { compatibilityBreaks, readerBreaks, type RefResolver } from '../../src/schemas/compatibility.js';
import { COMPATIBILITY_MODES, type BreakKind, type Compatibility, type JsonSchema } from '../../src/store/schema-registry.js';

const registry: Record<string, JsonSchema> = {
  'tributary:schemas/Money/versions/1': { type: 'number' },
  'tributary:schemas/Money/versions/2': { type: 'integer' },
  'tributary:schemas/Shared/versions/1': { $defs: { currency: { enum: ['EUR', 'USD'] } } },
  'tributary:schemas/Node/versions/1': { type: 'object', properties: { label: { type: ['string', 'null'] }, next: { $ref: 'tributary:schemas/Node/versions/1' } } },
  'tributary:schemas/Node/versions/2': { type: 'object', properties: { label: { type: 'string' }, next: { $ref: 'tributary:schemas/Node/versions/2' } } },
};
const resolve: RefResolver = (ref) => registry[ref];

const object = (properties: Record<string, JsonSchema>, more: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'object', properties, ...more });
const closed = (properties: Record<string, JsonSchema>, more: Record<string, unknown> = {}) => object(properties, { additionalProperties: false, ...more });
const text = { type: 'string' };

type Expected = [BreakKind, string][];
interface Row {
  name: string;
  older: JsonSchema;
  newer: JsonSchema;
  /** What the newer schema refuses of the older one's events. */
  backward: Expected;
  /** What the older schema refuses of the newer one's events. */
  forward: Expected;
}

const node = (value: JsonSchema): JsonSchema => ({
  $defs: { node: object({ value, children: { type: 'array', items: { $ref: '#/$defs/node' } } }) },
  $ref: '#/$defs/node',
});

const rows: Row[] = [
  { name: 'optional field added to a closed model', older: closed({ a: text }), newer: closed({ a: text, b: text }), backward: [], forward: [['field-removed', '/b']] },
  { name: 'field removed from a closed model', older: closed({ a: text, b: text }), newer: closed({ a: text }), backward: [['field-removed', '/b']], forward: [] },
  { name: 'field added to an open model', older: object({ a: text }), newer: object({ a: text, b: text }), backward: [['field-added', '/b']], forward: [] },
  { name: 'field removed from an open model', older: object({ a: text, b: text }), newer: object({ a: text }), backward: [], forward: [['field-added', '/b']] },
  {
    name: 'field added where additionalProperties is a schema that covers it',
    older: object({}, { additionalProperties: text }),
    newer: object({ b: { type: 'string', description: 'now named' } }, { additionalProperties: text }),
    backward: [],
    forward: [],
  },
  { name: 'required field added', older: object({ a: text }), newer: object({ a: text }, { required: ['a'] }), backward: [['required-added', '/a']], forward: [] },
  { name: 'required field removed', older: object({ a: text }, { required: ['a'] }), newer: object({ a: text }), backward: [], forward: [['required-added', '/a']] },
  { name: 'number narrowed to integer', older: object({ amount: { type: 'number' } }), newer: object({ amount: { type: 'integer' } }), backward: [['type-narrowed', '/amount']], forward: [] },
  { name: 'integer widened to number', older: object({ amount: { type: 'integer' } }), newer: object({ amount: { type: 'number' } }), backward: [], forward: [['type-narrowed', '/amount']] },
  { name: 'string changed to number', older: object({ x: text }), newer: object({ x: { type: 'number' } }), backward: [['type-changed', '/x']], forward: [['type-changed', '/x']] },
  { name: 'null dropped from a type array', older: object({ x: { type: ['string', 'null'] } }), newer: object({ x: text }), backward: [['type-narrowed', '/x']], forward: [] },
  {
    name: 'enum value removed',
    older: object({ currency: { enum: ['EUR', 'USD'] } }),
    newer: object({ currency: { enum: ['USD'] } }),
    backward: [['enum-value-removed', '/currency']],
    forward: [],
  },
  { name: 'const changed', older: object({ v: { const: 1 } }), newer: object({ v: { const: 2 } }), backward: [['enum-value-removed', '/v']], forward: [['enum-value-removed', '/v']] },
  { name: 'enum added to a free string', older: object({ c: text }), newer: object({ c: { type: 'string', enum: ['EUR'] } }), backward: [['constraint-tightened', '/c']], forward: [] },
  {
    name: 'enum values checked against bounds',
    older: object({ c: { enum: ['EUR', 'USD'] } }),
    newer: object({ c: { type: 'string', maxLength: 3, pattern: '^[A-Z]+$' } }),
    backward: [],
    forward: [['constraint-tightened', '/c']],
  },
  { name: 'minimum tightened', older: object({ n: { type: 'number', minimum: 0 } }), newer: object({ n: { type: 'number', minimum: 1 } }), backward: [['constraint-tightened', '/n']], forward: [] },
  {
    name: 'exclusiveMaximum loosened to maximum',
    older: object({ n: { type: 'number', exclusiveMaximum: 100 } }),
    newer: object({ n: { type: 'number', maximum: 100 } }),
    backward: [],
    forward: [['constraint-tightened', '/n']],
  },
  {
    name: 'multipleOf of a multiple',
    older: object({ n: { type: 'number', multipleOf: 0.5 } }),
    newer: object({ n: { type: 'number', multipleOf: 0.25 } }),
    backward: [],
    forward: [['constraint-tightened', '/n']],
  },
  { name: 'maxLength loosened', older: object({ s: { type: 'string', maxLength: 10 } }), newer: object({ s: { type: 'string', maxLength: 20 } }), backward: [], forward: [['constraint-tightened', '/s']] },
  { name: 'minLength tightened', older: object({ s: text }), newer: object({ s: { type: 'string', minLength: 1 } }), backward: [['constraint-tightened', '/s']], forward: [] },
  {
    name: 'pattern changed',
    older: object({ s: { type: 'string', pattern: '^a' } }),
    newer: object({ s: { type: 'string', pattern: '^b' } }),
    backward: [['constraint-tightened', '/s']],
    forward: [['constraint-tightened', '/s']],
  },
  {
    name: 'minItems and maxItems',
    older: object({ tags: { type: 'array', maxItems: 5 } }),
    newer: object({ tags: { type: 'array', minItems: 1 } }),
    backward: [['constraint-tightened', '/tags']],
    forward: [['constraint-tightened', '/tags']],
  },
  {
    name: 'items changed type',
    older: object({ tags: { type: 'array', items: text } }),
    newer: object({ tags: { type: 'array', items: { type: 'number' } } }),
    backward: [['type-changed', '/tags/*']],
    forward: [['type-changed', '/tags/*']],
  },
  {
    name: 'prefixItems changed at one place',
    older: object({ point: { type: 'array', prefixItems: [text, { type: 'number' }] } }),
    newer: object({ point: { type: 'array', prefixItems: [text, text] } }),
    backward: [['type-changed', '/point/1']],
    forward: [['type-changed', '/point/1']],
  },
  {
    name: 'tuple closed with items false',
    older: object({ point: { type: 'array', prefixItems: [text] } }),
    newer: object({ point: { type: 'array', prefixItems: [text], items: false } }),
    backward: [['items-changed', '/point']],
    forward: [],
  },
  { name: 'additionalProperties true to false', older: object({ a: text }, { additionalProperties: true }), newer: closed({ a: text }), backward: [['additional-properties-closed', '']], forward: [] },
  { name: 'additionalProperties absent to a schema', older: object({ a: text }), newer: object({ a: text }, { additionalProperties: text }), backward: [['additional-properties-closed', '']], forward: [] },
  {
    name: 'nested field removed from a closed object',
    older: object({ customer: closed({ id: text, email: text }) }),
    newer: object({ customer: closed({ id: text }) }),
    backward: [['field-removed', '/customer/email']],
    forward: [],
  },
  {
    name: 'local $ref into $defs',
    older: { $defs: { money: { type: 'number' } }, ...object({ amount: { $ref: '#/$defs/money' } }) },
    newer: { $defs: { money: { type: 'integer' } }, ...object({ amount: { $ref: '#/$defs/money' } }) },
    backward: [['type-narrowed', '/amount']],
    forward: [],
  },
  {
    name: 'registry $ref',
    older: object({ amount: { $ref: 'tributary:schemas/Money/versions/1' } }),
    newer: object({ amount: { $ref: 'tributary:schemas/Money/versions/2' } }),
    backward: [['type-narrowed', '/amount']],
    forward: [],
  },
  {
    name: 'registry $ref with a fragment',
    older: object({ currency: { enum: ['EUR'] } }),
    newer: object({ currency: { $ref: 'tributary:schemas/Shared/versions/1#/$defs/currency' } }),
    backward: [],
    forward: [['enum-value-removed', '/currency']],
  },
  { name: 'unknown registry $ref', older: object({ a: text }), newer: object({ a: { $ref: 'tributary:schemas/Nope/versions/1' } }), backward: [['schema-narrowed', '/a']], forward: [['type-narrowed', '/a']] },
  { name: 'true to an object schema', older: true, newer: object({}), backward: [['type-narrowed', '']], forward: [] },
  { name: 'to false', older: object({}), newer: false, backward: [['schema-narrowed', '']], forward: [] },
  { name: 'anyOf branch removed', older: { anyOf: [text, { type: 'number' }] }, newer: { anyOf: [text] }, backward: [['schema-narrowed', '']], forward: [] },
  {
    name: 'oneOf branch added',
    older: { oneOf: [text, { type: 'integer' }] },
    newer: { oneOf: [text, { type: 'integer' }, { type: 'boolean' }] },
    backward: [],
    forward: [['schema-narrowed', '']],
  },
  {
    name: 'anyOf of objects, each writer branch inside one reader branch',
    older: { anyOf: [closed({ kind: { const: 'card' }, last4: text }, { required: ['kind'] }), closed({ kind: { const: 'cash' } }, { required: ['kind'] })] },
    newer: { anyOf: [object({ kind: { const: 'card' }, last4: text }, { required: ['kind'] }), object({ kind: { enum: ['cash', 'voucher'] } }, { required: ['kind'] })] },
    backward: [],
    // each of the newer branches is open, so neither fits a closed older branch
    forward: [
      ['schema-narrowed', ''],
      ['schema-narrowed', ''],
    ],
  },
  {
    name: 'oneOf whose branches overlap on the older values',
    older: object({ v: text }),
    newer: object({ v: { oneOf: [text, { type: 'string', maxLength: 1 }] } }),
    backward: [['schema-narrowed', '/v']],
    forward: [],
  },
  {
    name: 'oneOf told apart by a required discriminator',
    older: { anyOf: [closed({ kind: { const: 'card' } }, { required: ['kind'] }), closed({ kind: { const: 'cash' } }, { required: ['kind'] })] },
    newer: { oneOf: [object({ kind: { const: 'card' } }, { required: ['kind'] }), object({ kind: { const: 'cash' } }, { required: ['kind'] })] },
    backward: [],
    forward: [['schema-narrowed', '']],
  },
  {
    name: 'enum values spread over anyOf branches',
    older: object({ v: { enum: ['a', 1] } }),
    newer: object({ v: { anyOf: [text, { type: 'integer' }] } }),
    backward: [],
    forward: [['constraint-tightened', '/v']],
  },
  {
    name: 'recursive registry schema (a cycle through the registry)',
    older: { $ref: 'tributary:schemas/Node/versions/1' },
    newer: { $ref: 'tributary:schemas/Node/versions/2' },
    backward: [
      ['type-narrowed', '/label'],
      ['type-narrowed', '/next/label'],
    ],
    forward: [],
  },
  {
    name: 'recursive schema (a cycle through $ref)',
    older: node(text),
    newer: node({ type: 'string', maxLength: 3 }),
    backward: [
      ['constraint-tightened', '/value'],
      ['constraint-tightened', '/children/*/value'],
    ],
    forward: [],
  },
];

const shape = (found: { path: string; change: BreakKind }[]) => found.map((item): [BreakKind, string] => [item.change, item.path]).sort();

function expectedFor(row: Row, mode: Compatibility) {
  const backward = mode.startsWith('BACKWARD') || mode.startsWith('FULL') ? row.backward.map(([kind, path]) => ['backward', kind, path]) : [];
  const forward = mode.startsWith('FORWARD') || mode.startsWith('FULL') ? row.forward.map(([kind, path]) => ['forward', kind, path]) : [];
  return [...backward, ...forward].sort();
}

describe('readerBreaks', () => {
  it.each(rows)('$name', (row) => {
    expect(shape(readerBreaks(row.newer, row.older, resolve))).toEqual([...row.backward].sort());
    expect(shape(readerBreaks(row.older, row.newer, resolve))).toEqual([...row.forward].sort());
  });

  it('says what broke in words', () => {
    const older = object({ amount: { type: 'number' }, currency: { enum: ['EUR', 'USD'] }, customer: closed({ email: text }) });
    const newer = object({ amount: { type: 'integer' }, currency: { enum: ['USD'] }, customer: closed({}) }, { required: ['currency'] });
    expect(readerBreaks(newer, older, resolve).map((found) => found.message).sort()).toEqual([
      'enum value "EUR" of /currency removed',
      'field /customer/email removed',
      'required field /currency added',
      'type of /amount narrowed from number to integer',
    ]);
  });

  it('finds every schema of the table compatible with itself in every mode', () => {
    // a $ref naming nothing is a break wherever it is read, even against itself
    const known = rows.filter((row) => row.name !== 'unknown registry $ref');
    for (const row of known) {
      for (const schema of [row.older, row.newer]) {
        for (const mode of COMPATIBILITY_MODES) expect(compatibilityBreaks(schema, [{ version: 1, schema }], mode, resolve), row.name).toEqual([]);
      }
    }
  });

  it('escapes member names in paths as JSON Pointer does', () => {
    expect(readerBreaks(object({ 'a/b~c': { type: 'integer' } }), object({ 'a/b~c': { type: 'number' } }), resolve)).toEqual([
      { path: '/a~1b~0c', change: 'type-narrowed', message: 'type of /a~1b~0c narrowed from number to integer' },
    ]);
  });

  it('ends on schemas that refer to themselves', () => {
    const loop = { $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, anyOf: [{ $ref: '#' }, { $ref: '#/$defs/a' }] };
    expect(readerBreaks(loop, loop, resolve)).toEqual([]);
  });
});

describe('compatibilityBreaks', () => {
  for (const mode of ['BACKWARD', 'FORWARD', 'FULL', 'NONE'] as const) {
    it.each(rows)(`${mode}: $name`, (row) => {
      const found = compatibilityBreaks(row.newer, [{ version: 1, schema: row.older }], mode, resolve);
      expect(found.every((item) => item.version === 1)).toBe(true);
      expect(found.map((item) => [item.direction, item.change, item.path]).sort()).toEqual(expectedFor(row, mode));
    });
  }

  it('finds nothing with no registered version', () => {
    for (const mode of COMPATIBILITY_MODES) expect(compatibilityBreaks(object({}), [], mode, resolve)).toEqual([]);
  });

  // v2 came in while the type's mode was NONE; v3 keeps v2 but not v1, which only the transitive forms see
  const chains: { mode: 'BACKWARD' | 'FORWARD' | 'FULL'; versions: JsonSchema[]; change: BreakKind }[] = [
    { mode: 'BACKWARD', versions: [object({ n: { type: 'number' } }), object({ n: { type: 'integer', minimum: 0 } }), object({ n: { type: 'integer' } })], change: 'type-narrowed' },
    { mode: 'FORWARD', versions: [object({ n: { type: 'integer' } }), object({ n: { type: 'number' } }), object({ n: { type: 'number', minimum: 0 } })], change: 'type-narrowed' },
    { mode: 'FULL', versions: [object({ c: { enum: ['EUR', 'USD'] } }), object({ c: { enum: ['USD'] } }), object({ c: { const: 'USD' } })], change: 'enum-value-removed' },
  ];

  it.each(chains)('$mode checks the latest version only, its transitive form every one', ({ mode, versions, change }) => {
    const registered = versions.slice(0, 2).map((schema, index) => ({ version: index + 1, schema }));
    const candidate = versions[2]!;
    expect(compatibilityBreaks(candidate, registered, mode, resolve)).toEqual([]);
    const transitive = compatibilityBreaks(candidate, registered, `${mode}_TRANSITIVE`, resolve);
    expect(transitive.length).toBeGreaterThan(0);
    expect(transitive.every((item) => item.version === 1 && item.change === change)).toBe(true);
  });
});

describe('forward breaks', () => {
  it('say what the new version changed, for the older version that reads its events', () => {
    const older = closed({ amount: { type: 'integer', maximum: 10 }, currency: { enum: ['USD'] }, note: { type: 'string', maxLength: 5 } }, { required: ['note'] });
    const newer = closed({ amount: { type: 'number', maximum: 20 }, currency: { enum: ['USD', 'EUR'] }, note: text, tag: text });
    expect(compatibilityBreaks(newer, [{ version: 3, schema: older }], 'FORWARD', resolve).map((found) => found.message).sort()).toEqual([
      'enum value "EUR" of /currency added, which version 3 refuses',
      'field /note no longer required, while version 3 requires it',
      'field /tag added, which version 3 does not accept',
      "maxLength of /note dropped, while version 3 keeps it at 5",
      "maximum of /amount loosened from 10 to 20, past version 3's",
      'type of /amount widened from integer to number, which version 3 does not accept',
    ]);
  });
});
