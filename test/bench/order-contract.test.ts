import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ORDER_BYTES, ORDER_V1, ORDER_V1_TO_V2, ORDER_V2, orderData } from '../../bench/lib/order-contract.js';
import { applyUpcastRules } from '../../src/schemas/upcast-rules.js';

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const v1 = ajv.compile(ORDER_V1 as object);
const v2 = ajv.compile(ORDER_V2 as object);
const SAMPLE = Array.from({ length: 500 }, (_, i) => i * 997);

describe("the schema benchmark's order contract", () => {
  it('writes 1 KB events that each version accepts', () => {
    for (const i of SAMPLE) {
      for (const [version, validate] of [[1, v1], [2, v2]] as const) {
        const data = orderData(i, version);
        expect(JSON.stringify(data)).toHaveLength(ORDER_BYTES);
        expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
      }
    }
  });

  it('keeps a version 1 event out of version 2 until the upcaster has run, then in', () => {
    const data = orderData(41, 1);
    expect(v2(data)).toBe(false);
    const upcast = applyUpcastRules(structuredClone(data), ORDER_V1_TO_V2) as Record<string, unknown>;
    expect(v2(upcast), JSON.stringify(v2.errors)).toBe(true);
    expect(upcast['customerNote']).toBe(data['note']);
    expect(upcast['priority']).toBe('normal');
  });

  it('is a contract with the parts the benchmark promises: fifteen properties, a nested object, an array, enums, a closed model', () => {
    const schema = ORDER_V1 as { properties: Record<string, { type?: unknown; enum?: unknown }>; required: string[]; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toHaveLength(15);
    expect(schema.properties['shippingAddress']!.type).toBe('object');
    expect(schema.properties['lines']!.type).toBe('array');
    expect(schema.properties['status']!.enum).toBeDefined();
    expect(schema.additionalProperties).toBe(false);
    expect(v1({ ...orderData(1, 1), extra: true })).toBe(false);
  });
});
