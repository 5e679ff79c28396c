import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compatibilityBreaks, readerBreaks } from '../../src/schemas/compatibility.js';
import { COMPATIBILITY_MODES, type JsonSchema } from '../../src/store/schema-registry.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25) * 20;
const KEYS = ['a', 'b', 'c', 'd'] as const;
const nothingToResolve = () => undefined;

const ajv = new Ajv2020({ strict: false, allErrors: false });
const accepts = (schema: JsonSchema, instance: unknown) => ajv.validate(schema, instance);

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const defined = (record: Record<string, unknown>) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
const small = fc.integer({ min: -3, max: 3 });

const stringSchema = fc
  .record({ minLength: maybe(fc.integer({ min: 0, max: 2 })), maxLength: maybe(fc.integer({ min: 0, max: 3 })), pattern: maybe(fc.constantFrom('^a', '^[ab]*$')) })
  .map((rules) => ({ type: 'string', ...defined(rules) }));
const numberSchema = fc
  .record({
    type: fc.constantFrom('integer', 'number', ['integer', 'null'], ['number', 'string']),
    minimum: maybe(small),
    maximum: maybe(small),
    exclusiveMinimum: maybe(small),
    exclusiveMaximum: maybe(small),
    multipleOf: maybe(fc.constantFrom(0.5, 1, 2)),
  })
  .map(defined);
const enumSchema = fc.oneof(
  fc.uniqueArray(fc.constantFrom<unknown>('a', 'b', 'ab', 1, 2, 0.5, null, true), { minLength: 1, maxLength: 4 }).map((values) => ({ enum: values })),
  fc.constantFrom<unknown>('a', 1, null).map((value) => ({ const: value })),
);
const scalarSchema: fc.Arbitrary<JsonSchema> = fc.oneof(
  stringSchema,
  numberSchema,
  enumSchema,
  fc.constantFrom<JsonSchema>({ type: 'boolean' }, { type: ['string', 'null'] }, {}, true, false),
);
const arraySchema = fc
  .record({ items: maybe(scalarSchema), prefixItems: maybe(fc.array(scalarSchema, { minLength: 1, maxLength: 2 })), minItems: maybe(fc.integer({ min: 0, max: 2 })), maxItems: maybe(fc.integer({ min: 0, max: 3 })) })
  .map((rules) => ({ type: 'array', ...defined(rules) }));

const objectSchema = (member: fc.Arbitrary<JsonSchema>) =>
  fc
    .record({
      properties: fc.dictionary(fc.constantFrom(...KEYS), member, { maxKeys: 3 }),
      required: fc.subarray([...KEYS], { maxLength: 2 }),
      additionalProperties: maybe(fc.constantFrom<JsonSchema>(true, false, { type: 'string' }, { type: 'integer' })),
    })
    .map((rules): Record<string, unknown> => ({ type: 'object', ...defined(rules) }));
const branches = fc.tuple(fc.constantFrom('anyOf', 'oneOf'), fc.array(scalarSchema, { minLength: 1, maxLength: 3 })).map(([keyword, list]) => ({ [keyword]: list }));
const memberSchema = fc.oneof(
  { weight: 4, arbitrary: scalarSchema },
  { weight: 1, arbitrary: branches },
  { weight: 1, arbitrary: arraySchema },
  { weight: 1, arbitrary: objectSchema(scalarSchema) },
);
const eventSchema = objectSchema(memberSchema);

/** A reader taken from the writer, with some of its parts swapped for another schema's. */
const related = fc.tuple(eventSchema, eventSchema, fc.array(fc.boolean(), { minLength: 7, maxLength: 7 })).map(([writer, other, swaps]) => {
  const properties = { ...(writer.properties as Record<string, JsonSchema>) };
  KEYS.forEach((key, index) => {
    if (!swaps[index]) return;
    const replacement = (other.properties as Record<string, JsonSchema>)[key];
    if (replacement === undefined) delete properties[key];
    else properties[key] = replacement;
  });
  const reader: Record<string, unknown> = { ...writer, properties };
  if (swaps[4]) reader['required'] = other.required;
  if (swaps[5]) reader['additionalProperties'] = other.additionalProperties;
  if (swaps[6]) delete reader['additionalProperties'];
  return { writer: writer, reader: defined(reader) };
});

const scalarValue = fc.oneof(fc.constantFrom<unknown>('', 'a', 'b', 'ab', 'ba', 'abc', 'zzzz', 0.5, 1.5, -2.5, true, false, null), small);
const memberValue = fc.oneof({ weight: 4, arbitrary: scalarValue }, { weight: 1, arbitrary: fc.array(scalarValue, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...KEYS, 'e'), scalarValue, { maxKeys: 3 }) });
const instance = fc.dictionary(fc.constantFrom(...KEYS, 'e'), memberValue, { maxKeys: 4 });

describe('readerBreaks soundness', () => {
  it('a reader with no breaks accepts every instance the writer accepts', () => {
    let checked = 0;
    fc.assert(
      fc.property(related, fc.array(instance, { minLength: 10, maxLength: 30 }), ({ writer, reader }, instances) => {
        if (readerBreaks(reader, writer, nothingToResolve).length > 0) return;
        for (const candidate of instances) {
          if (!accepts(writer, candidate)) continue;
          checked++;
          expect({ writer, reader, candidate, accepted: accepts(reader, candidate) }).toMatchObject({ accepted: true });
        }
      }),
      { numRuns: RUNS },
    );
    // the property would pass vacuously if no writer ever accepted an instance of a compatible pair
    expect(checked).toBeGreaterThan(RUNS / 4);
  });

  it('every schema is compatible with itself in every mode', () => {
    fc.assert(
      fc.property(eventSchema, (schema) => {
        for (const mode of COMPATIBILITY_MODES) {
          expect(compatibilityBreaks(schema, [{ version: 1, schema: structuredClone(schema) }], mode, nothingToResolve)).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
