import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import {
  advance,
  allows,
  changesOf,
  dropCandidate,
  generationsFed,
  planRebuild,
  standingGenerations,
  startsRebuild,
  stateOf,
  switchCandidate,
  TRANSITIONS,
  type GenerationState,
  type Generations,
  type LifecycleEvent,
  type Transition,
} from '../../src/projections/lifecycle/generation-states.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { getProjection } from '../../src/projections/lifecycle/registry.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { SqlAccess } from '../../src/store/sql-access.js';
import { tallies, withStore } from './fixtures.js';

/** A projection's generations: the live one and its version, then what is building (and its version), then what is retired. */
function generations(live: number, liveVersion: number, building: [number, number] | null = null, retired: number | null = null): Generations {
  return { live, liveVersion, building: building?.[0] ?? null, buildingVersion: building?.[1] ?? null, retired };
}

const refused = (error: unknown) => isTributaryError(error, 'PROJECTION_CONFLICT');
const rowName = ({ from, event, to }: Pick<Transition, 'from' | 'event' | 'to'>) => `${from} --${event}--> ${to}`;

/** For each row of the table: generations where it applies, the event, the generation that moves, and the generations after. */
const ROW_CASES: Record<string, { before: Generations | null; event: LifecycleEvent; generation: number; after: Generations | null }[]> = {
  'new --create--> live': [{ before: null, event: { type: 'create', version: 3 }, generation: 1, after: generations(1, 3) }],
  'new --rebuild--> building': [
    { before: generations(1, 1), event: { type: 'rebuild', version: 1 }, generation: 2, after: generations(1, 1, [2, 1]) },
    // a rebuild may start while the retired generation still waits to be dropped
    { before: generations(2, 1, null, 1), event: { type: 'rebuild', version: 2 }, generation: 3, after: generations(2, 1, [3, 2], 1) },
    // newer code replaces a rebuild of older code: the new generation numbers past the superseded one
    { before: generations(1, 1, [2, 2]), event: { type: 'rebuild', version: 3 }, generation: 3, after: generations(1, 1, [3, 3]) },
  ],
  'building --rebuild--> building': [
    { before: generations(1, 1, [2, 1]), event: { type: 'rebuild', version: 1 }, generation: 2, after: generations(1, 1, [2, 1]) },
    // requestRebuild asks for the live version: a rebuild for newer code already building is resumed
    { before: generations(1, 1, [2, 2]), event: { type: 'rebuild', version: 1 }, generation: 2, after: generations(1, 1, [2, 2]) },
  ],
  'building --rebuild--> dropped': [{ before: generations(1, 1, [2, 2], null), event: { type: 'rebuild', version: 3 }, generation: 2, after: generations(1, 1, [3, 3]) }],
  'building --switch--> live': [{ before: generations(1, 1, [2, 2]), event: { type: 'switch', caughtUp: true }, generation: 2, after: generations(2, 2, null, 1) }],
  'live --switch--> retired': [{ before: generations(1, 1, [2, 2]), event: { type: 'switch', caughtUp: true }, generation: 1, after: generations(2, 2, null, 1) }],
  'retired --drop--> dropped': [
    { before: generations(2, 2, null, 1), event: { type: 'drop', fed: false }, generation: 1, after: generations(2, 2) },
    { before: generations(2, 2, [3, 2], 1), event: { type: 'drop', fed: false }, generation: 1, after: generations(2, 2, [3, 2]) },
  ],
  'building --remove--> dropped': [{ before: generations(2, 1, [3, 2], 1), event: { type: 'remove' }, generation: 3, after: null }],
  'live --remove--> dropped': [{ before: generations(1, 1), event: { type: 'remove' }, generation: 1, after: null }],
  'retired --remove--> dropped': [{ before: generations(2, 1, null, 1), event: { type: 'remove' }, generation: 1, after: null }],
};

function shapeOf(state: Generations | null): string {
  return state === null ? 'no generation' : `live ${state.live}, building ${state.building ?? '-'}, retired ${state.retired ?? '-'}`;
}

/** The state of `generation` in a projection whose generations have numbers up to `highest`: `new` past them. */
function stateIn(state: Generations | null, highest: number, generation: number): GenerationState | 'new' {
  if (generation > highest) return 'new';
  return state === null ? 'dropped' : stateOf(state, generation);
}

describe('the transition table', () => {
  it('has a case below for every row, and no case for a row it lacks', () => {
    expect(new Set(TRANSITIONS.map(rowName))).toEqual(new Set(Object.keys(ROW_CASES)));
    expect(TRANSITIONS.length).toBe(Object.keys(ROW_CASES).length);
  });

  describe.each(TRANSITIONS.map((row) => ({ row, name: rowName(row) })))('$name', ({ row, name }) => {
    const cases = ROW_CASES[name]!.map((one) => ({ ...one, shape: shapeOf(one.before) }));
    it.each(cases)(`when ${row.when}: generation $generation of $shape`, ({ before, event, generation, after }) => {
      expect(allows(before, event)).toBe(true);
      const next = advance('orders', before, event);
      expect(next).toEqual(after);
      const highest = Math.max(0, ...(before === null ? [] : standingGenerations(before)));
      expect(stateIn(before, highest, generation)).toBe(row.from);
      expect(next === null ? 'dropped' : stateOf(next, generation)).toBe(row.to);
    });
  });

  it.each([
    { why: 'a second first generation', before: generations(1, 1), event: { type: 'create', version: 1 } },
    { why: 'a rebuild of nothing', before: null, event: { type: 'rebuild', version: 1 } },
    { why: 'a rebuild of a version older than the live one', before: generations(1, 2), event: { type: 'rebuild', version: 1 } },
    { why: 'a switch before the generation being built caught up', before: generations(1, 1, [2, 1]), event: { type: 'switch', caughtUp: false } },
    { why: 'a switch while the retired generation waits', before: generations(2, 1, [3, 1], 1), event: { type: 'switch', caughtUp: true } },
    { why: 'a switch with nothing being built', before: generations(2, 1, null, 1), event: { type: 'switch', caughtUp: true } },
    { why: 'a drop of a generation still fed', before: generations(2, 1, null, 1), event: { type: 'drop', fed: true } },
    { why: 'a drop with nothing retired', before: generations(2, 1, [3, 1]), event: { type: 'drop', fed: false } },
    { why: 'a removal of nothing', before: null, event: { type: 'remove' } },
  ] satisfies { why: string; before: Generations | null; event: LifecycleEvent }[])('refuses $why with PROJECTION_CONFLICT', ({ before, event }) => {
    expect(allows(before, event)).toBe(false);
    let thrown: unknown;
    try {
      advance('orders', before, event);
    } catch (error) {
      thrown = error;
    }
    expect(refused(thrown)).toBe(true);
    expect(thrown).toMatchObject({ details: { projection: 'orders', event: event.type } });
  });

  it('never reaches a state the table does not allow: one live generation from the first on, at most one building and one retired', () => {
    const event: fc.Arbitrary<LifecycleEvent> = fc.oneof(
      { weight: 1, arbitrary: fc.record({ type: fc.constant('create' as const), version: fc.integer({ min: 1, max: 4 }) }) },
      { weight: 4, arbitrary: fc.record({ type: fc.constant('rebuild' as const), version: fc.integer({ min: 1, max: 6 }) }) },
      { weight: 4, arbitrary: fc.record({ type: fc.constant('switch' as const), caughtUp: fc.boolean() }) },
      { weight: 4, arbitrary: fc.record({ type: fc.constant('drop' as const), fed: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ type: 'remove' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(event, { minLength: 10, maxLength: 80 }), (version, rest) => {
        const events: LifecycleEvent[] = [{ type: 'create', version }, ...rest];
        let state: Generations | null = null;
        // the highest generation number the projection has had; a removed projection added again starts anew
        let highest = 0;
        for (const next of events) {
          const before: Generations | null = state;
          if (before === null) highest = 0;
          if (!allows(before, next)) {
            expect(() => advance('orders', before, next)).toThrow(expect.objectContaining({ code: 'PROJECTION_CONFLICT' }));
            continue;
          }
          const after = advance('orders', before, next);
          const reached = Math.max(highest, ...(after === null ? [] : standingGenerations(after)));
          for (let generation = 1; generation <= reached; generation++) {
            const from = stateIn(before, highest, generation);
            const to = stateIn(after, reached, generation);
            if (from === to) continue;
            const row = TRANSITIONS.find((transition) => transition.from === from && transition.event === next.type && transition.to === to);
            expect(row, `generation ${generation}: ${from} --${next.type}--> ${to}`).toBeDefined();
          }
          if (after !== null) {
            const states = Array.from({ length: reached }, (_, index) => stateOf(after, index + 1));
            expect(states.filter((one) => one === 'live')).toHaveLength(1);
            expect(states.filter((one) => one === 'building').length).toBeLessThanOrEqual(1);
            expect(states.filter((one) => one === 'retired').length).toBeLessThanOrEqual(1);
            // every slot names its own generation, and a generation being built is newer than the live one, a retired one older
            expect(new Set(standingGenerations(after)).size).toBe(standingGenerations(after).length);
            expect(after.building === null || after.building > after.live).toBe(true);
            expect(after.retired === null || after.retired < after.live).toBe(true);
            expect(after.building === null).toBe(after.buildingVersion === null);
            expect(after.buildingVersion === null || after.buildingVersion >= after.liveVersion).toBe(true);
          }
          // only a removal ends the projection
          expect(after === null).toBe(next.type === 'remove');
          state = after;
          highest = reached;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the decisions the runner, rebuild, removal and status take from it', () => {
  it('feeds the live generation and one being built; code of a version feeds those built from it', () => {
    const record = generations(2, 1, [3, 2], 1);
    expect(generationsFed(record)).toEqual([2, 3]);
    expect(generationsFed(record, 1)).toEqual([2]);
    expect(generationsFed(record, 2)).toEqual([3]);
    expect(generationsFed(record, 3)).toEqual([]);
    expect(generationsFed(generations(1, 1))).toEqual([1]);
  });

  it('watches for the switch only when this process feeds the generation being built and nothing retired waits', () => {
    expect(switchCandidate(generations(1, 1, [2, 1]), new Set([1, 2]))).toBe(2);
    expect(switchCandidate(generations(1, 1, [2, 1]), new Set([1]))).toBeNull();
    expect(switchCandidate(generations(2, 1, [3, 1], 1), new Set([2, 3]))).toBeNull();
    expect(switchCandidate(generations(2, 1), new Set([2]))).toBeNull();
  });

  it('offers the retired generation for dropping only when this process does not feed it', () => {
    expect(dropCandidate(generations(2, 1, null, 1), new Set([2]))).toBe(1);
    expect(dropCandidate(generations(2, 1, null, 1), new Set([1, 2]))).toBeNull();
    expect(dropCandidate(generations(2, 1), new Set())).toBeNull();
  });

  it('plans a rebuild: a new generation, the one already building resumed, or a rebuild of older code superseded', () => {
    expect(planRebuild('orders', generations(2, 1, null, 1), 1)).toEqual({ generation: 3, resumed: false, superseded: null, changes: { building: 3, buildingVersion: 1 } });
    expect(planRebuild('orders', generations(1, 1, [2, 2]), 1)).toEqual({ generation: 2, resumed: true, superseded: null, changes: {} });
    expect(planRebuild('orders', generations(1, 1, [2, 2]), 3)).toEqual({ generation: 3, resumed: false, superseded: 2, changes: { building: 3, buildingVersion: 3 } });
  });

  it('starts a rebuild for code newer than the live generation and than any being built', () => {
    expect(startsRebuild(generations(1, 1), 2)).toBe(true);
    expect(startsRebuild(generations(1, 1), 1)).toBe(false);
    expect(startsRebuild(generations(1, 1, [2, 3]), 3)).toBe(false);
    expect(startsRebuild(generations(1, 1, [2, 3]), 2)).toBe(false);
    expect(startsRebuild(generations(1, 1, [2, 3]), 4)).toBe(true);
  });

  it('gives the registry only the slots an event changes, and what a removal drops', () => {
    expect(changesOf('orders', generations(2, 1, [3, 1], 1), { type: 'drop', fed: false })).toEqual({ retired: null });
    expect(changesOf('orders', generations(1, 1, [2, 2]), { type: 'switch', caughtUp: true })).toEqual({
      live: 2,
      liveVersion: 2,
      building: null,
      buildingVersion: null,
      retired: 1,
    });
    expect(changesOf('orders', generations(1, 1), { type: 'remove' })).toEqual({});
    expect(standingGenerations(generations(2, 1, [3, 1], 1))).toEqual([2, 3, 1]);
  });
});

describe('requestRebuild', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-lifecycle-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('refuses with PROJECTION_CONFLICT when another rebuild starts between its read and its write, instead of reporting one that never started', async () => {
    await withStore(join(folder, 'raced.db'), async (store) => {
      const running = await runProjection(store, tallies('raced'), { watchMs: 50 });
      await running.stop();
      const raced = racing(store, `UPDATE tributary_projections SET building = 2, building_version = 1, building_position = 0 WHERE name = 'raced'`);
      await expect(requestRebuild(raced, 'raced')).rejects.toSatisfy(refused);
      // the refusal rolled its transaction back; asked again, the rebuild starts
      expect((await getProjection(store.sql!, 'raced'))?.building).toBeNull();
      expect(await requestRebuild(store, 'raced')).toEqual({ generation: 2, resumed: false });
    });
  });
});

/** `store` with each transaction running `statement` right after its first read, as another process would in between on PostgreSQL. */
function racing(store: EventStore, statement: string): EventStore {
  const sql = store.sql!;
  const transaction: SqlAccess['transaction'] = (work) =>
    sql.transaction((tx) => {
      let raced = false;
      const query = async (text: string, params?: readonly unknown[]) => {
        const rows = await tx.query(text, params);
        if (!raced) await tx.execute(statement);
        raced = true;
        return rows;
      };
      return work(passThrough(tx, { query }));
    });
  return passThrough(store, { sql: passThrough(sql, { transaction }) });
}

/** `target` with `overrides` in place of some of its members; the others act on `target` itself. */
function passThrough<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T];
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}
