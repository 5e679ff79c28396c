// The contract the schema benchmark validates and upcasts: an order event of 1 KB with fifteen typed properties,
// a nested object, an array of objects, enums, formats and patterns, required fields and a closed content model,
// as a producer team would register it. Version 2 renames `note` to `customerNote` and adds a required
// `priority`, which the stored upcaster 1 → 2 fills with a default.
import type { JsonSchema, UpcastRule } from '../../src/store/schema-registry.js';

export const ORDER_TYPE = 'OrderPlaced';
export const ORDER_CATEGORY = 'order';

const LINE = {
  type: 'object',
  required: ['sku', 'quantity', 'unitPrice'],
  additionalProperties: false,
  properties: {
    sku: { type: 'string', pattern: '^SKU-[0-9]{6}$' },
    quantity: { type: 'integer', minimum: 1, maximum: 1000 },
    unitPrice: { type: 'number', minimum: 0 },
  },
};

const ADDRESS = {
  type: 'object',
  required: ['street', 'city', 'postcode', 'country'],
  additionalProperties: false,
  properties: {
    street: { type: 'string', maxLength: 200 },
    city: { type: 'string', maxLength: 100 },
    postcode: { type: 'string', maxLength: 16 },
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
  },
};

const COMMON = {
  orderId: { type: 'string', format: 'uuid' },
  customerId: { type: 'string', minLength: 1, maxLength: 64 },
  placedAt: { type: 'string', format: 'date-time' },
  status: { enum: ['placed', 'paid', 'shipped', 'cancelled'] },
  channel: { enum: ['web', 'mobile', 'store', 'phone'] },
  currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  total: { type: 'number', minimum: 0 },
  itemCount: { type: 'integer', minimum: 1 },
  lines: { type: 'array', minItems: 1, maxItems: 50, items: LINE },
  shippingAddress: ADDRESS,
  giftWrap: { type: 'boolean' },
  couponCode: { type: ['string', 'null'], maxLength: 32 },
  salesRep: { type: 'string', maxLength: 64 },
  loyaltyPoints: { type: 'integer', minimum: 0 },
};

const REQUIRED = ['orderId', 'customerId', 'placedAt', 'status', 'channel', 'currency', 'total', 'itemCount', 'lines', 'shippingAddress'];

export const ORDER_V1: JsonSchema = {
  type: 'object',
  required: REQUIRED,
  additionalProperties: false,
  properties: { ...COMMON, note: { type: 'string', maxLength: 2000 } },
};

export const ORDER_V2: JsonSchema = {
  type: 'object',
  required: [...REQUIRED, 'priority'],
  additionalProperties: false,
  properties: { ...COMMON, customerNote: { type: 'string', maxLength: 2000 }, priority: { enum: ['low', 'normal', 'high'] } },
};

/** The stored upcaster 1 → 2: a rename and a default. */
export const ORDER_V1_TO_V2: UpcastRule[] = [
  { op: 'rename', path: '/note', to: 'customerNote' },
  { op: 'default', path: '/priority', value: 'normal' },
];

/** The JSON length every event's data is padded to. */
export const ORDER_BYTES = 1024;

const STATUSES = ['placed', 'paid', 'shipped', 'cancelled'];
const CHANNELS = ['web', 'mobile', 'store', 'phone'];
const EPOCH = Date.UTC(2026, 0, 1);

/** The data of the `i`-th order as version `version` writes it, valid under that version and 1 KB as JSON. */
export function orderData(i: number, version: 1 | 2): Record<string, unknown> {
  const lines = Array.from({ length: 1 + (i % 3) }, (_, n) => ({
    sku: `SKU-${String((i * 31 + n * 7) % 1_000_000).padStart(6, '0')}`,
    quantity: 1 + ((i + n) % 5),
    unitPrice: ((i * 13 + n) % 10_000) / 100,
  }));
  const data: Record<string, unknown> = {
    orderId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    customerId: `customer-${i % 10_000}`,
    placedAt: new Date(EPOCH + i * 1000).toISOString(),
    status: STATUSES[i % STATUSES.length],
    channel: CHANNELS[i % CHANNELS.length],
    currency: 'EUR',
    total: lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0),
    itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
    lines,
    shippingAddress: { street: `${1 + (i % 200)} Canal Street`, city: 'Amsterdam', postcode: `10${String(i % 100).padStart(2, '0')} AB`, country: 'NL' },
    giftWrap: i % 7 === 0,
    couponCode: i % 5 === 0 ? `SPRING-${i % 100}` : null,
    salesRep: `rep-${i % 23}`,
    loyaltyPoints: i % 500,
  };
  const note = version === 1 ? 'note' : 'customerNote';
  if (version === 2) data['priority'] = 'normal';
  data[note] = '';
  data[note] = 'n'.repeat(ORDER_BYTES - JSON.stringify(data).length);
  return data;
}
