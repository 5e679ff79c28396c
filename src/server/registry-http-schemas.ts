/**
 * JSON schemas of the schema registry's routes: request bodies (validated
 * without coercion, unknown fields refused, failures coded as the library
 * codes them) and the answers `/openapi.json` documents.
 */

import { COMPATIBILITY_MODES, VALIDATION_MODES } from '../store/schema-registry.js';
import { ERROR_CODE } from './request-validation.js';

// any JSON here: the registry checks the document itself and says what is wrong with it (INVALID_SCHEMA)
const jsonSchema = {
  description: 'a JSON Schema 2020-12 document (an object, or true/false); $ref only to tributary:schemas/<type, percent-encoded>/versions/<n>',
} as const;

const categoryList = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description: 'the categories the type is written to, added to those recorded: they decide who may see and change its schemas',
  [ERROR_CODE]: 'INVALID_SCHEMA',
} as const;

const compatibility = { type: 'string', enum: COMPATIBILITY_MODES, [ERROR_CODE]: 'INVALID_SCHEMA' } as const;
const mode = { type: 'string', enum: VALIDATION_MODES, [ERROR_CODE]: 'INVALID_SCHEMA' } as const;
const pointer = { type: 'string', description: 'a JSON Pointer into the event data (RFC 6901), such as /customer/id' } as const;

const upcastRule = {
  oneOf: [
    { type: 'object', required: ['op', 'path', 'to'], properties: { op: { type: 'string', enum: ['rename'] }, path: pointer, to: { type: 'string', minLength: 1 } }, additionalProperties: false },
    { type: 'object', required: ['op', 'from', 'to'], properties: { op: { type: 'string', enum: ['move'] }, from: pointer, to: pointer }, additionalProperties: false },
    { type: 'object', required: ['op', 'path', 'value'], properties: { op: { type: 'string', enum: ['default'] }, path: pointer, value: {} }, additionalProperties: false },
    { type: 'object', required: ['op', 'path'], properties: { op: { type: 'string', enum: ['drop'] }, path: pointer }, additionalProperties: false },
  ],
} as const;

export const registerBodySchema = {
  type: 'object',
  required: ['schema'],
  properties: { schema: jsonSchema, categories: categoryList },
  additionalProperties: false,
} as const;

export const checkBodySchema = {
  type: 'object',
  required: ['schema'],
  properties: { schema: jsonSchema },
  additionalProperties: false,
} as const;

export const compatibilityBodySchema = {
  type: 'object',
  required: ['compatibility'],
  properties: { compatibility },
  additionalProperties: false,
} as const;

export const modeBodySchema = {
  type: 'object',
  required: ['mode'],
  properties: { mode },
  additionalProperties: false,
} as const;

export const upcasterBodySchema = {
  type: 'object',
  required: ['rules'],
  properties: {
    rules: {
      type: 'array',
      items: upcastRule,
      description: 'applied in order to the data of version fromVersion, giving that of fromVersion + 1; a rule whose source is missing does nothing',
      [ERROR_CODE]: 'INVALID_SCHEMA',
    },
  },
  additionalProperties: false,
} as const;

// the type is checked by the registry's own rule (INVALID_SCHEMA), so HTTP and the library agree
export const typeParams = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', minLength: 1, description: 'the event type, percent-encoded as one path segment' } },
} as const;

const versionNumber = { type: 'string', pattern: '^[0-9]+$', description: 'a version number, from 1' } as const;

export const versionParams = {
  type: 'object',
  required: ['type', 'version'],
  properties: { ...typeParams.properties, version: { type: 'string', pattern: '^([0-9]+|latest)$', description: 'a version number, or latest' } },
} as const;

export const upcasterParams = {
  type: 'object',
  required: ['type', 'fromVersion'],
  properties: { ...typeParams.properties, fromVersion: versionNumber },
} as const;

export const categoryParams = {
  type: 'object',
  required: ['category'],
  properties: { category: { type: 'string', minLength: 1 } },
} as const;

export const schemaVersionSchema = {
  $id: 'SchemaVersion',
  type: 'object',
  required: ['type', 'version', 'schema', 'registeredAt', 'position'],
  properties: {
    type: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    schema: { description: 'the JSON Schema 2020-12 document as registered' },
    registeredAt: { type: 'string', format: 'date-time' },
    position: { type: 'integer', minimum: 1, description: 'the log position of the registration event' },
  },
} as const;

const summaryProperties = {
  type: { type: 'string' },
  latest: { type: 'integer', minimum: 0, description: 'the newest version; 0 when only a compatibility mode was set' },
  compatibility: { type: 'string', enum: COMPATIBILITY_MODES },
  categories: { type: 'array', items: { type: 'string' }, description: 'read scope on each shows the type, write scope on each changes it (none: read:* / admin)' },
  upcasters: { type: 'array', items: { type: 'integer' }, description: 'the versions a stored upcaster starts from' },
} as const;

export const schemaTypeSummarySchema = {
  $id: 'SchemaTypeSummary',
  type: 'object',
  required: ['type', 'latest', 'compatibility', 'categories', 'upcasters'],
  properties: summaryProperties,
} as const;

export const schemaTypeDetailsSchema = {
  $id: 'SchemaTypeDetails',
  type: 'object',
  required: ['type', 'latest', 'compatibility', 'categories', 'upcasters', 'versions', 'rules'],
  properties: {
    ...summaryProperties,
    versions: { type: 'array', items: { $ref: 'SchemaVersion#' } },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['fromVersion', 'rules'],
        properties: { fromVersion: { type: 'integer' }, rules: { type: 'array', items: { type: 'object', additionalProperties: true } } },
      },
    },
  },
} as const;

export const categoryModeSchema = {
  $id: 'CategoryMode',
  type: 'object',
  required: ['category', 'mode'],
  properties: { category: { type: 'string' }, mode: { type: 'string', enum: VALIDATION_MODES } },
} as const;

export const compatibilityReportSchema = {
  $id: 'CompatibilityReport',
  type: 'object',
  required: ['type', 'compatible', 'compatibility', 'version', 'checkedAgainst', 'breaks'],
  properties: {
    type: { type: 'string' },
    compatible: { type: 'boolean' },
    compatibility: { type: 'string', enum: COMPATIBILITY_MODES },
    version: { type: 'integer', description: 'the version the schema would get: the latest when it equals it, else the next' },
    checkedAgainst: { type: 'array', items: { type: 'integer' } },
    breaks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'direction', 'path', 'change', 'message'],
        properties: {
          version: { type: 'integer' },
          direction: { type: 'string', enum: ['backward', 'forward'] },
          path: { type: 'string' },
          change: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const modesSchema = {
  type: 'object',
  required: ['modes'],
  properties: { modes: { type: 'array', items: { $ref: 'CategoryMode#' } } },
} as const;

export const registrySharedSchemas = [schemaVersionSchema, schemaTypeSummarySchema, schemaTypeDetailsSchema, categoryModeSchema, compatibilityReportSchema] as const;
