import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { TributaryError, type ErrorCode } from '../core/errors.js';

/**
 * The schema keyword that says which library error code a body that fails a
 * part of the schema gets, so HTTP refuses with the code the library gives for
 * the same input (`INVALID_EVENT` for an event, `INVALID_EXPECTED_REVISION`…).
 * On the body schema itself it covers the whole body; on one of its
 * properties, that property. Without one a failure is `INVALID_REQUEST`.
 * It appears in `/openapi.json` as an extension.
 */
export const ERROR_CODE = 'x-error-code';

type ValidationResult = ReturnType<FastifySchemaCompiler<FastifySchema>>;
type Schema = AnySchemaObject & { [ERROR_CODE]?: ErrorCode; properties?: Record<string, Schema>; items?: Schema; required?: string[] };

// a decimal integer, nothing else: no hex, exponent, blanks or empty text
const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * Fastify's validator compiler for every route. Bodies are JSON and are
 * validated exactly as sent, never coerced (`"type": 12345` is not the type
 * "12345"). Query strings, path parameters and headers are text by nature:
 * a value becomes an integer only when it is written as a decimal integer,
 * a boolean only as `true` or `false`, and a lone value becomes a one-item list
 * where the schema wants a list (`?category=a`).
 */
export function requestValidatorCompiler(sharedSchemas: () => Record<string, unknown>): FastifySchemaCompiler<FastifySchema> {
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false });
  ajv.addKeyword({ keyword: ERROR_CODE, schemaType: 'string' });
  let shared = false;
  return ({ schema, httpPart }) => {
    if (!shared) {
      for (const sharedSchema of Object.values(sharedSchemas())) ajv.addSchema(sharedSchema as AnySchemaObject);
      shared = true;
    }
    const compiled = compile(ajv, schema);
    return httpPart === 'body' ? bodyValidator(ajv, schema, compiled) : textValidator(schema, compiled);
  };
}

function compile(ajv: Ajv, schema: Schema): ValidateFunction {
  // a schema with an $id is compiled once, however many routes use it
  const id = typeof schema.$id === 'string' ? schema.$id : undefined;
  return (id === undefined ? undefined : ajv.getSchema(id)) ?? ajv.compile(schema);
}

function bodyValidator(ajv: Ajv, schema: Schema, validate: ValidateFunction): ValidationResult {
  return (body: unknown) => {
    if (validate(body)) return true;
    const failure = failureOf(ajv, schema, body, validate.errors?.[0]);
    // fastify words an uncoded failure itself, as INVALID_REQUEST with `in`
    if (failure.code === 'INVALID_REQUEST') return { error: validate.errors ?? [] };
    const { code, path, reason } = failure;
    return { error: new TributaryError(code, `body${path} ${reason}`, { in: 'body', path, reason }) };
  };
}

interface Failure {
  code: ErrorCode;
  /** A JSON pointer into the body. */
  path: string;
  reason: string;
}

/**
 * Why a body failed: the first coded property (in the schema's order, which
 * is the order the library checks them) that fails on its own, else the
 * body's own code with ajv's first error. Checking each coded property on its
 * own keeps the code independent of the order ajv happens to report errors in.
 */
function failureOf(ajv: Ajv, schema: Schema, body: unknown, first: ErrorObject | undefined): Failure {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const given = body as Record<string, unknown>;
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const code = property[ERROR_CODE];
      if (code === undefined) continue;
      const value = given[name];
      if (value === undefined) {
        if ((schema.required ?? []).includes(name)) return { code, path: '', reason: `must have the property ${JSON.stringify(name)}` };
        continue;
      }
      const validate = compile(ajv, property);
      if (!validate(value)) {
        const error = validate.errors?.[0];
        return { code, path: `/${name}${error?.instancePath ?? ''}`, reason: error === undefined ? 'is malformed' : describe(error) };
      }
    }
  }
  return { code: schema[ERROR_CODE] ?? 'INVALID_REQUEST', path: first?.instancePath ?? '', reason: first === undefined ? 'is malformed' : describe(first) };
}

function describe(error: ErrorObject): string {
  const { missingProperty, additionalProperty } = error.params as { missingProperty?: string; additionalProperty?: string };
  if (missingProperty !== undefined) return `must have the property ${JSON.stringify(missingProperty)}`;
  if (additionalProperty !== undefined) return `must not have the property ${JSON.stringify(additionalProperty)}`;
  return error.message ?? 'is malformed';
}

function textValidator(schema: Schema, validate: ValidateFunction): ValidationResult {
  return (data: unknown) => {
    const converted = convertText(data, schema);
    return validate(converted) ? { value: converted } : { error: validate.errors ?? [] };
  };
}

/** Query, params and header values as the schema's types, converted only from their canonical text. */
function convertText(value: unknown, schema: Schema | undefined): unknown {
  if (schema === undefined || typeof schema !== 'object') return value;
  const types = typesOf(schema);
  if (types.includes('object') && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const converted: Record<string, unknown> = { ...value };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (converted[name] !== undefined) converted[name] = convertText(converted[name], property);
    }
    return converted;
  }
  if (Array.isArray(value)) return types.includes('array') ? value.map((item: unknown) => convertText(item, schema.items)) : value;
  if (typeof value !== 'string' || types.includes('string')) return value;
  if (types.includes('array')) return [convertText(value, schema.items)];
  if (types.includes('integer') && INTEGER_TEXT.test(value)) return Number(value);
  if (types.includes('number') && NUMBER_TEXT.test(value)) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function typesOf(schema: Schema): string[] {
  const { type } = schema;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? (type as string[]) : [];
}
