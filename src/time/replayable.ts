import { declaredProjection } from '../projections/definition/file-definition.js';
import { defineProjection, type ProjectionDefinition } from '../projections/definition/projection.js';

/**
 * What a replay or a diff builds: a definition from `defineProjection` (code),
 * or the parsed JSON of a projection file (declared, as `tributary projections add` takes it).
 */
export type ReplayableProjection<Context = unknown> = ProjectionDefinition<Context> | DeclaredFile;

/** A projection file's parsed JSON: told from a definition by its sink, which is a word (`"table"`) rather than a sink object. */
export interface DeclaredFile {
  name: string;
  sink: string;
  [field: string]: unknown;
}

/** A projection as a replay runs it: its definition, and the file it came from (null for code). */
export interface SettledReplayable {
  definition: ProjectionDefinition<unknown>;
  declared: unknown;
}

/** Checks a replayable projection (INVALID_PROJECTION naming the problem) and settles it. */
export function settleReplayable<Context>(projection: ReplayableProjection<Context>): SettledReplayable {
  if (isDeclared(projection)) return { definition: declaredProjection(projection), declared: projection };
  // the handlers get the context their own sink makes, so the typed form is safe to forget
  return { definition: defineProjection(projection) as ProjectionDefinition<unknown>, declared: null };
}

/**
 * The projection as it writes into a replay: a lake's files go to `lakeDirectory`
 * instead of the live lake; the file kept in the scratch registry says so too.
 */
export function redirectedTo(settled: SettledReplayable, lakeDirectory: string | undefined): SettledReplayable {
  const { definition, declared } = settled;
  if (definition.sink.storage !== 'lake' || lakeDirectory === undefined) return settled;
  if (declared !== null) {
    const file = { ...(declared as DeclaredFile), directory: lakeDirectory };
    return { definition: declaredProjection(file), declared: file };
  }
  return { definition: { ...definition, sink: { ...definition.sink, directory: lakeDirectory } }, declared: null };
}

function isDeclared<Context>(projection: ReplayableProjection<Context>): projection is DeclaredFile {
  return typeof projection === 'object' && projection !== null && typeof projection.sink === 'string';
}
