import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

// ajv-formats is CommonJS: under ESM its function arrives as the default of the default
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  'x-scope'?: string;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

/**
 * Checks real responses against `/openapi.json`: the document the server
 * serves must describe what it answers, status and body.
 */
export class OpenApiContract {
  readonly #document: OpenApiDocument;
  readonly #ajv = new Ajv({ strict: false, allErrors: true });
  readonly #compiled = new Map<string, ValidateFunction>();

  private constructor(document: OpenApiDocument) {
    this.#document = document;
    addFormats(this.#ajv);
  }

  static async load(app: FastifyInstance): Promise<OpenApiContract> {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    return new OpenApiContract(JSON.parse(response.body) as OpenApiDocument);
  }

  get paths(): string[] {
    return Object.keys(this.#document.paths);
  }

  /** The methods the document describes for `path`, lower case. */
  methods(path: string): string[] {
    return Object.keys(this.#document.paths[path] ?? {});
  }

  operation(method: string, path: string): Operation {
    const operation = this.#document.paths[path]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`/openapi.json has no ${method} ${path}`);
    return operation;
  }

  /** Fails unless `path` (OpenAPI form, `/streams/{stream}`) documents `status` for `method` and the body matches its schema. */
  check(method: string, path: string, status: number, body: unknown): void {
    const operation = this.#document.paths[path]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`/openapi.json has no ${method} ${path}`);
    const response = operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`];
    if (response === undefined) throw new Error(`/openapi.json documents no ${status} for ${method} ${path}`);
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) return;
    const key = `${method} ${path} ${status}`;
    let validate = this.#compiled.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile({ ...schema, components: this.#document.components });
      this.#compiled.set(key, validate);
    }
    if (!validate(body)) throw new Error(`${key} does not match /openapi.json: ${this.#ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  }
}
