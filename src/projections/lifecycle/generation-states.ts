import { TributaryError } from '../../core/errors.js';
import type { ProjectionRecord } from './registry.js';

/**
 * The lifecycle of a projection's generations. A projection starts with one
 * generation that readers see (`live`). A rebuild builds a new one beside it
 * (`building`); once that has caught up with the log, one switch makes it live
 * and the old one `retired`; when no process feeds the retired one any more, it
 * is `dropped`. A rebuild for newer code drops a generation still being built
 * for older code. A removal drops them all.
 *
 * The registry record holds the state ({@link Generations}); this module says
 * what may happen to it. `switchGenerations` in the registry writes the switch
 * row in one statement, because the positions must be copied inside it.
 */
export type GenerationState = 'building' | 'live' | 'retired' | 'dropped';

/** What happens to a projection's generations. */
export type LifecycleEvent =
  /** The projection is registered: its first generation. */
  | { type: 'create'; version: number }
  /** A new generation of `version` is asked for, by code of that version or by `requestRebuild` (the live version). */
  | { type: 'rebuild'; version: number }
  /** Readers move to the generation being built; `caughtUp`: it has handled the whole log. */
  | { type: 'switch'; caughtUp: boolean }
  /** The retired generation goes; `fed`: some process still feeds it. */
  | { type: 'drop'; fed: boolean }
  /** The projection is removed. */
  | { type: 'remove' };

/** The lifecycle's state: which generation readers see, which is being built, which waits to be dropped, and the versions they were built from. */
export type Generations = Pick<ProjectionRecord, 'live' | 'liveVersion' | 'building' | 'buildingVersion' | 'retired'>;

/** Decides whether a row applies; `generations` is null before the projection's first generation. */
type Guard = (generations: Generations | null, event: LifecycleEvent) => boolean;

/** One row of the table: a generation in state `from` (`new`: the one the event would create) moves to `to` on `event` when `guard` holds. */
export interface Transition {
  readonly from: GenerationState | 'new';
  readonly event: LifecycleEvent['type'];
  readonly to: GenerationState;
  /** When the row applies, in words; the guard function checks it. */
  readonly when: string;
  readonly guard: Guard;
}

const always: Guard = () => true;
const unregistered: Guard = (generations) => generations === null;
const buildsAnew: Guard = (generations, event) =>
  event.type === 'rebuild' &&
  generations !== null &&
  event.version >= generations.liveVersion &&
  (generations.buildingVersion === null || generations.buildingVersion < event.version);
const resumes: Guard = (generations, event) => event.type === 'rebuild' && generations!.buildingVersion! >= event.version;
const supersedes: Guard = (generations, event) => event.type === 'rebuild' && generations!.buildingVersion! < event.version;
const switches: Guard = (generations, event) => event.type === 'switch' && event.caughtUp && generations!.building !== null && generations!.retired === null;
const unfed: Guard = (_generations, event) => event.type === 'drop' && !event.fed;

/** Every move a generation can make. A generation with no row for an event stays as it is; an event that moves no generation is refused. */
export const TRANSITIONS: readonly Transition[] = [
  { from: 'new', event: 'create', to: 'live', when: 'the projection has no generation', guard: unregistered },
  { from: 'new', event: 'rebuild', to: 'building', when: 'no generation of this version or a newer one is building, and the version is not older than the live one', guard: buildsAnew },
  { from: 'building', event: 'rebuild', to: 'building', when: 'it was built from this version or a newer one (the rebuild resumes it)', guard: resumes },
  { from: 'building', event: 'rebuild', to: 'dropped', when: 'the rebuild is for a newer version than it was built from (superseded)', guard: supersedes },
  { from: 'building', event: 'switch', to: 'live', when: 'it has caught up with the log, and no retired generation waits to be dropped', guard: switches },
  { from: 'live', event: 'switch', to: 'retired', when: 'the generation being built switches', guard: switches },
  { from: 'retired', event: 'drop', to: 'dropped', when: 'no process feeds it', guard: unfed },
  { from: 'building', event: 'remove', to: 'dropped', when: 'the projection is removed', guard: always },
  { from: 'live', event: 'remove', to: 'dropped', when: 'the projection is removed', guard: always },
  { from: 'retired', event: 'remove', to: 'dropped', when: 'the projection is removed', guard: always },
];

/** The state of `generation`: `dropped` for one the projection no longer has (or never had). */
export function stateOf(generations: Generations, generation: number): GenerationState {
  if (generation === generations.live) return 'live';
  if (generation === generations.building) return 'building';
  if (generation === generations.retired) return 'retired';
  return 'dropped';
}

/** The generations the projection has: each has tables or files until it is dropped. */
export function standingGenerations(generations: Generations): number[] {
  return [generations.live, generations.building, generations.retired].filter((generation) => generation !== null);
}

/** Whether `event` moves any generation now. */
export function allows(generations: Generations | null, event: LifecycleEvent): boolean {
  return movesOf(generations, event).length > 0;
}

/**
 * The generations after `event`, null once none is left (removed); PROJECTION_CONFLICT
 * when the table lets the event move no generation (a switch with nothing caught up,
 * a drop of a generation still fed, a rebuild of an older version).
 */
export function advance(projection: string, generations: Generations | null, event: LifecycleEvent): Generations | null {
  const moves = movesOf(generations, event);
  if (moves.length === 0) throw transitionRefused(projection, generations, event);
  const after = new Map<GenerationState, Move>(moves.map((move) => [move.to, move]));
  for (const { generation, from } of standingOf(generations)) {
    if (!moves.some((move) => move.generation === generation)) after.set(from, { generation, from, to: from });
  }
  const live = after.get('live');
  if (live === undefined) return null;
  const building = after.get('building');
  return {
    live: live.generation,
    liveVersion: versionOf(generations, event, live),
    building: building?.generation ?? null,
    buildingVersion: building === undefined ? null : versionOf(generations, event, building),
    retired: after.get('retired')?.generation ?? null,
  };
}

/** The slots of the registry record that `event` changes (none for a removal: the record goes). */
export function changesOf(projection: string, generations: Generations, event: LifecycleEvent): Partial<Generations> {
  const after = advance(projection, generations, event);
  if (after === null) return {};
  const slots = Object.keys(after) as (keyof Generations)[];
  return Object.fromEntries(slots.filter((slot) => after[slot] !== generations[slot]).map((slot) => [slot, after[slot]]));
}

/** The generations consumers feed: the live one and one being built; given `version`, those built from it (what code of that version feeds). */
export function generationsFed(generations: Generations, version?: number): number[] {
  const fed: number[] = [];
  if (version === undefined || generations.liveVersion === version) fed.push(generations.live);
  if (generations.building !== null && (version === undefined || generations.buildingVersion === version)) fed.push(generations.building);
  return fed;
}

/**
 * A rebuild for `version`: the generation that builds it, whether that one was
 * already building (`resumed`), and the one it supersedes (its tables and
 * checkpoint are to go).
 */
export function planRebuild(
  projection: string,
  generations: Generations,
  version: number,
): { generation: number; resumed: boolean; superseded: number | null; changes: Partial<Generations> } {
  const changes = changesOf(projection, generations, { type: 'rebuild', version });
  const resumed = changes.building === undefined;
  return { generation: changes.building ?? generations.building!, resumed, superseded: resumed ? null : generations.building, changes };
}

/** Whether code of `version` starts a rebuild: it is newer than the live generation, and nothing of it (or newer) is building. */
export function startsRebuild(generations: Generations, version: number): boolean {
  return version > generations.liveVersion && buildsAnew(generations, { type: 'rebuild', version });
}

/** The generation being built, when the switch waits only for it to catch up and this process feeds it (so it can tell). */
export function switchCandidate(generations: Generations, fedHere: { has(generation: number): boolean }): number | null {
  const { building } = generations;
  return building !== null && fedHere.has(building) && allows(generations, { type: 'switch', caughtUp: true }) ? building : null;
}

/** The retired generation when this process does not feed it; whether another process does is the caller's to find out. */
export function dropCandidate(generations: Generations, fedHere: { has(generation: number): boolean }): number | null {
  const { retired } = generations;
  return retired !== null && !fedHere.has(retired) ? retired : null;
}

/** Refused: the projection's generations do not allow what was asked (they may have moved on meanwhile). */
export function transitionRefused(projection: string, generations: Generations | null, event: LifecycleEvent): TributaryError {
  const state = generations === null ? 'no generation' : `live ${generations.live}, building ${generations.building ?? 'none'}, retired ${generations.retired ?? 'none'}`;
  const message = `projection ${JSON.stringify(projection)} cannot ${event.type} with ${state} (another process may have changed it meanwhile: ask again)`;
  return new TributaryError('PROJECTION_CONFLICT', message, {
    projection,
    event: event.type,
  });
}

interface Move {
  generation: number;
  from: GenerationState | 'new';
  to: GenerationState;
}

function standingOf(generations: Generations | null): { generation: number; from: GenerationState }[] {
  if (generations === null) return [];
  return standingGenerations(generations).map((generation) => ({ generation, from: stateOf(generations, generation) }));
}

function movesOf(generations: Generations | null, event: LifecycleEvent): Move[] {
  const standing = standingOf(generations);
  const fresh = { generation: Math.max(0, ...standing.map(({ generation }) => generation)) + 1, from: 'new' as const };
  return [...standing, fresh].flatMap(({ generation, from }) => {
    const row = TRANSITIONS.find((transition) => transition.from === from && transition.event === event.type && transition.guard(generations, event));
    return row === undefined ? [] : [{ generation, from, to: row.to }];
  });
}

/** The version a generation was built from: a new one's is the event's, a generation that moved keeps the one it had. */
function versionOf(generations: Generations | null, event: LifecycleEvent, move: Move): number {
  if (move.from === 'new') return 'version' in event ? event.version : 0;
  return move.from === 'building' ? generations!.buildingVersion! : generations!.liveVersion;
}
