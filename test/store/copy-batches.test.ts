import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyBatches } from '../../src/store/copy-batches.js';
import { copySteps, type CopiedStream, type CopyBatch, type CopyHead, type LogCopyReads } from '../../src/store/log-copy.js';
import type { EventRow } from '../../src/store/sql-rows.js';

/** A source held in arrays: what copyBatches sees of a store whose log has `positions` and whose streams changed at `changedAts`. */
function sourceOf(positions: number[], changedAts: number[], head: number): LogCopyReads {
  const events: EventRow[] = positions.map((position) => [position, `id-${position}`, 'a-1', position, 'T', 0, null, '{}', null]);
  const changes: CopiedStream[] = changedAts.map((changedAt, index) => ({
    name: `s-${index}`,
    category: 's',
    lastRevision: -1,
    lastPosition: 0,
    state: 0,
    deletedBefore: 0,
    truncateBefore: null,
    maxCount: null,
    maxAge: null,
    customMetadata: null,
    changed: index + 1,
    changedAt,
    scavengedRevision: 0,
    scavengedRecordedAt: 0,
    scavengedUntil: 0,
  }));
  return {
    copyHead: async () => ({ head, lastChange: changes.length }),
    readCopyEvents: async (after, until, limit) => events.filter((row) => row[0] > after && row[0] <= until).slice(0, limit),
    readStreamChanges: async (afterChange, limit) => changes.filter((change) => change.changed > afterChange).slice(0, limit),
    readTables: async () => [],
  };
}

/** A log with gaps, and changes made along it at non-decreasing heads. */
const logs = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 120 }), fc.array(fc.integer({ min: 0, max: 420 }), { maxLength: 60 }), fc.integer({ min: 0, max: 30 }))
  .map(([positions, ats, beyond]) => {
    const sorted = positions.sort((a, b) => a - b);
    const head = (sorted.at(-1) ?? 0) + beyond;
    return { positions: sorted, changedAts: ats.map((at) => Math.min(at, head)).sort((a, b) => a - b), head };
  });

async function collect(reads: LogCopyReads, batchEvents: number, until?: CopyHead): Promise<CopyBatch[]> {
  const batches: CopyBatch[] = [];
  for await (const batch of copyBatches(reads, { position: 0, change: 0 }, { batchEvents, ...(until === undefined ? {} : { until }) })) batches.push(batch);
  return batches;
}

describe('copyBatches', () => {
  it('carries every event once in order, every change once after the events up to where it was made, and ends at the head', async () => {
    await fc.assert(
      fc.asyncProperty(logs, fc.integer({ min: 1, max: 50 }), async ({ positions, changedAts, head }, batchEvents) => {
        const batches = await collect(sourceOf(positions, changedAts, head), batchEvents);
        const applied: number[] = [];
        const changed: number[] = [];
        let checkpoint = { position: 0, change: 0 };
        for (const batch of batches) {
          expect(batch.events.length).toBeLessThanOrEqual(batchEvents);
          for (const step of copySteps(batch)) {
            if ('events' in step) applied.push(...step.events.map((row) => row[0]));
            else {
              // every event up to the change is in, none after it
              expect(applied.filter((position) => position > step.change.changedAt)).toEqual([]);
              expect(positions.filter((position) => position <= step.change.changedAt).every((position) => applied.includes(position))).toBe(true);
              changed.push(step.change.changed);
            }
          }
          expect(batch.checkpoint.position).toBeGreaterThanOrEqual(checkpoint.position);
          expect(batch.checkpoint.change).toBeGreaterThanOrEqual(checkpoint.change);
          checkpoint = batch.checkpoint;
        }
        expect(applied).toEqual(positions);
        expect(changed).toEqual(changedAts.map((_, index) => index + 1));
        expect(checkpoint).toEqual({ position: head, change: changedAts.length });
      }),
      { numRuns: 300 },
    );
  });

  it('stops at the head it is given and leaves later events and changes for the next copy', async () => {
    const reads = sourceOf([1, 2, 3, 5, 8], [2, 5, 8], 8);
    const batches = await collect(reads, 2, { head: 3, lastChange: 3 });
    expect(batches.flatMap((batch) => batch.events.map((row) => row[0]))).toEqual([1, 2, 3]);
    expect(batches.flatMap((batch) => batch.changes.map((change) => change.changed))).toEqual([1]);
    expect(batches.at(-1)?.checkpoint).toEqual({ position: 3, change: 1 });
  });

  it('yields nothing for a copy that is at the head already', async () => {
    const reads = sourceOf([1, 2], [2], 4);
    const done = await collect(reads, 10);
    const again: CopyBatch[] = [];
    for await (const batch of copyBatches(reads, done.at(-1)!.checkpoint)) again.push(batch);
    expect(again).toEqual([]);
  });
});
