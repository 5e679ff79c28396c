import type { EventData } from '../core/event.js';
import { categoryOf } from '../core/stream-name.js';
import { SCHEMA_VERSION_KEY, type SchemaFailure, type SchemaWarning, type ValidationMode } from '../store/schema-registry.js';
import type { RegistryState } from './registry-state.js';
import type { SchemaCompiler } from './schema-compiler.js';

/** One stream's events after the registry's door: stamped with their versions, and what broke its schema. */
export interface CheckedEvents {
  events: readonly EventData[];
  mode: ValidationMode;
  failures: SchemaFailure[];
}

/**
 * Stamps each event of a registered type with the version it is written as
 * (the one its metadata names, else the latest) and, when the stream's
 * category validates, checks its data against that version. Events that are
 * not even well-formed are left for the store to refuse as INVALID_EVENT.
 */
export function checkEvents(state: RegistryState, compiler: SchemaCompiler, stream: string, events: readonly EventData[]): CheckedEvents {
  const mode = state.modeOf(categoryOf(stream));
  if (state.types.size === 0 && mode === 'off') return { events, mode, failures: [] };
  const failures: SchemaFailure[] = [];
  let stamped: EventData[] | undefined;
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') continue;
    const { type } = event;
    const latest = state.types.get(type)?.versions.length ?? 0;
    const fail = (version: number | null, path: string, message: string) => failures.push({ index, stream, type, version, path, message });
    if (latest === 0) {
      if (mode !== 'off') fail(null, '/type', `event type ${JSON.stringify(type)} has no registered schema`);
      continue;
    }
    const metadata = event.metadata;
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) continue;
    const named = metadata?.[SCHEMA_VERSION_KEY];
    let version = latest;
    if (named !== undefined) {
      if (typeof named !== 'number' || !Number.isSafeInteger(named) || named < 1 || named > latest) {
        if (mode !== 'off') fail(null, '/metadata/schemaVersion', `names version ${JSON.stringify(named)} of ${JSON.stringify(type)}, which has versions 1 to ${latest}`);
        continue;
      }
      version = named;
    } else {
      stamped ??= events.slice();
      stamped[index] = { ...event, metadata: { ...metadata, [SCHEMA_VERSION_KEY]: version } };
    }
    if (mode === 'off') continue;
    const problem = dataProblem(compiler, type, version, event.data);
    if (problem !== undefined) fail(version, `/data${problem.path}`, problem.message);
  }
  return { events: stamped ?? events, mode, failures };
}

/** The first way `data` breaks the version's schema, or undefined when it keeps it. */
function dataProblem(compiler: SchemaCompiler, type: string, version: number, data: unknown): { path: string; message: string } | undefined {
  const validate = compiler.validator(type, version);
  try {
    if (validate(data)) return undefined;
  } catch (error) {
    // a recursive schema walks as deep as the data nests
    if (error instanceof RangeError) return { path: '', message: 'nests too deep to validate' };
    throw error;
  }
  const [first] = validate.errors ?? [];
  if (first === undefined) return { path: '', message: 'does not match its schema' };
  return { path: first.instancePath + memberOf(first), message: describe(first) };
}

type AjvError = { keyword: string; message?: string; params: Record<string, unknown> };

/** The member a missing-field or unknown-field error is about: ajv points at the object that holds it, a producer looks for the field. */
function memberOf(error: AjvError): string {
  const member = error.keyword === 'required' ? error.params['missingProperty'] : error.keyword === 'additionalProperties' ? error.params['additionalProperty'] : undefined;
  return typeof member === 'string' ? `/${member.replaceAll('~', '~0').replaceAll('/', '~1')}` : '';
}

function describe(error: AjvError): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not allowed: the schema has no such field';
  const message = error.message ?? `fails ${error.keyword}`;
  if (error.keyword === 'enum') return `${message}: ${JSON.stringify(error.params['allowedValues'])}`;
  return message;
}

/** The failures a category in `warn` mode accepted, with the category they were accepted in. */
export function warningsOf(checked: CheckedEvents): SchemaWarning[] {
  if (checked.mode !== 'warn') return [];
  return checked.failures.map((failure) => ({ ...failure, category: categoryOf(failure.stream) }));
}
