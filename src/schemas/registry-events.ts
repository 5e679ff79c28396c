import { TributaryError } from '../core/errors.js';
import { categoryProblem, streamNameProblem } from '../core/stream-name.js';
import { SCHEMA_CATEGORY, type Compatibility, type JsonSchema, type UpcastRule, type ValidationMode } from '../store/schema-registry.js';

/** The registry's own event types: what it appends to its streams, and all its state is folded from. */
export const REGISTRY_EVENT = {
  versionRegistered: 'SchemaVersionRegistered',
  categoriesAdded: 'SchemaCategoriesAdded',
  compatibilitySet: 'SchemaCompatibilitySet',
  upcasterSet: 'SchemaUpcasterSet',
  modeSet: 'SchemaValidationModeSet',
} as const;

export interface VersionRegistered {
  type: string;
  version: number;
  schema: JsonSchema;
  categories: string[];
}
export interface CategoriesAdded {
  type: string;
  categories: string[];
}
export interface CompatibilitySet {
  type: string;
  compatibility: Compatibility;
}
export interface UpcasterSet {
  type: string;
  fromVersion: number;
  rules: UpcastRule[];
}
export interface ModeSet {
  category: string;
  mode: ValidationMode;
}

/**
 * The stream of one event type's versions, compatibility mode and upcasters:
 * appends to it are checked against its revision, so two processes never both
 * register the same version.
 */
export function typeStream(type: string): string {
  return `${SCHEMA_CATEGORY}-type-${type}`;
}

/** The stream of one category's validation mode. */
export function modeStream(category: string): string {
  return `${SCHEMA_CATEGORY}-mode-${category}`;
}

/** Throws INVALID_SCHEMA unless `type` is an event type the registry can keep: an event type that makes a valid stream name. */
export function assertSchemaType(type: unknown): asserts type is string {
  const problem = typeof type !== 'string' || type === '' ? 'must be a non-empty string' : streamNameProblem(typeStream(type));
  if (problem !== undefined) {
    throw new TributaryError('INVALID_SCHEMA', `event type ${JSON.stringify(type)} cannot have a schema: ${problem}`, {
      type: typeof type === 'string' ? type : null,
      reason: problem,
    });
  }
}

/** Throws INVALID_SCHEMA unless `category` is a category an ordinary stream can be in (the same rule scopes use). */
export function assertCategory(category: unknown): asserts category is string {
  const problem = categoryProblem(category);
  if (problem !== undefined) {
    throw new TributaryError('INVALID_SCHEMA', `${JSON.stringify(category)} is not a category: ${problem}`, {
      category: typeof category === 'string' ? category : null,
      reason: problem,
    });
  }
}
