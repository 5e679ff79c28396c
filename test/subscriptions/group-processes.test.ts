import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { backends, scratch } from '../support/backends.js';
import { killChildren, readHandled, startConsumerChild, stopChild, until, type HandledLine } from './processes.js';

// the size on PostgreSQL; a smaller one on SQLite, where every member's writes share one file lock
const SIZES: Record<string, { streams: number; perStream: number }> = {
  postgres: { streams: 500, perStream: 100 },
  sqlite: { streams: 200, perStream: 50 },
};

async function appendRounds(store: EventStore, streams: number, from: number, rounds: number): Promise<void> {
  for (let s = 0; s < streams; s++) {
    await store.append(`shard-${s}`, Array.from({ length: rounds }, (_, k) => ({ type: 'Counted', data: { n: from + k } })));
  }
}

/**
 * Checks one stream's handling history, sorted by start time: it splits into
 * runs by member; a run handles contiguous revisions; a run never starts
 * before the previous one ended (one member at a time); a run starts right
 * after the previous one's last revision, except after `killed`, whose last
 * events after its checkpoint may be handled again.
 */
function checkStream(stream: string, lines: HandledLine[], perStream: number, killed: string): { takenFromKilled: boolean } {
  let takenFromKilled = false;
  const sorted = [...lines].sort((a, b) => a.t0 - b.t0);
  let previous: HandledLine | undefined;
  let highest = -1;
  for (const line of sorted) {
    if (previous === undefined || previous.m === line.m) {
      const expected = previous === undefined ? 0 : previous.r + 1;
      if (line.r !== expected) throw new Error(`${stream}: ${line.m} handled revision ${line.r} after ${previous?.r ?? 'nothing'}`);
    } else {
      if (line.t0 < previous.t1) throw new Error(`${stream}: ${line.m} started before ${previous.m} finished`);
      takenFromKilled ||= previous.m === killed;
      const resumable = previous.m === killed ? line.r <= highest + 1 : line.r === highest + 1;
      if (!resumable) throw new Error(`${stream}: ${line.m} took over at revision ${line.r} after ${previous.m} reached ${highest}`);
    }
    highest = Math.max(highest, line.r);
    previous = line;
  }
  if (highest !== perStream - 1) throw new Error(`${stream}: handled up to revision ${highest} of ${perStream - 1}`);
  return { takenFromKilled };
}

describe.each(backends)('a consumer group of processes on $name', ({ name, location: locationFor }) => {
  it('three members, one killed with SIGKILL midway: every event handled, each stream by one member at a time and in order', async () => {
    const { streams, perStream } = SIZES[name]!;
    const total = streams * perStream;
    const location = locationFor('group');
    const store = await openStore(location);
    const outputs = ['a', 'b', 'c'].map((member) => ({ member, out: join(scratch, `${name}-group-${member}.ndjson`) }));
    const handled = () => outputs.reduce((sum, { out }) => sum + readHandled(out).length, 0);
    try {
      const [before, during] = [perStream / 2, Math.floor(perStream / 4)];
      await appendRounds(store, streams, 0, before);
      const members = await Promise.all(
        outputs.map(({ member, out }) =>
          startConsumerChild({ location, name: 'shards', member, out, partitions: 32, leaseMs: 4_000, heartbeatMs: 250, workMicros: 40 }),
        ),
      );
      await appendRounds(store, streams, before, during);
      const killedOut = outputs[1]!.out;
      await until(
        () => readHandled(killedOut).length > 0 && handled() >= (streams * (before + during)) / 2,
        'half the events so far are handled, some by the member to be killed',
        60_000,
      );
      await stopChild(members[1]!, 'SIGKILL');
      // appended after the kill, so every stream the killed member handled has events only the others can handle
      await appendRounds(store, streams, before + during, perStream - before - during);
      await until(
        async () => {
          const status = (await consumerStatus(store, ['shards']))[0];
          return status !== undefined && status.checkpoint === total && status.members.length === 2;
        },
        'the surviving members have handled everything',
        90_000,
      );
      await Promise.all([stopChild(members[0]!, 'SIGTERM'), stopChild(members[2]!, 'SIGTERM')]);
      expect([members[0]!.exitCode, members[2]!.exitCode]).toEqual([0, 0]);

      const lines = outputs.flatMap(({ out }) => readHandled(out));
      const byStream = new Map<string, HandledLine[]>();
      for (const line of lines) byStream.set(line.s, [...(byStream.get(line.s) ?? []), line]);
      expect(byStream.size).toBe(streams);
      let takeovers = 0;
      for (const [stream, streamLines] of byStream) if (checkStream(stream, streamLines, perStream, 'b').takenFromKilled) takeovers++;
      // the streams the killed member had begun were finished by the others
      expect(takeovers).toBeGreaterThan(0);
      expect(new Set(lines.map((line) => line.p)).size).toBe(total);
      expect(new Set(lines.map((line) => line.m))).toEqual(new Set(['a', 'b', 'c']));
    } finally {
      await killChildren();
      await store.close();
    }
  }, 180_000);

  it('members in this process learn at once of a join in another, and let go long before their next heartbeat', async () => {
    const location = locationFor('join');
    const store = await openStore(location);
    // heartbeats a minute apart (the child takes seconds to start): only the group signal, crossing processes, can move the partitions within a second
    const slow = { name: 'joined', group: { partitions: 8 }, heartbeatMs: 60_000, checkpointMs: 60_000, leaseMs: 240_000, handler: () => undefined };
    const a = await startConsumer(store, { ...slow, member: 'a' });
    const b = await startConsumer(store, { ...slow, member: 'b' });
    try {
      await until(() => a.partitions.length === 4 && b.partitions.length === 4, 'a and b hold four partitions each', 3_000);
      const child = await startConsumerChild({ location, name: 'joined', member: 'c', out: join(scratch, `${name}-join-c.ndjson`), partitions: 8, leaseMs: 240_000, heartbeatMs: 60_000 });
      const joined = performance.now();
      const held = async () => (await consumerStatus(store, ['joined']))[0]?.members.find((member) => member.member === 'c')?.partitions.length;
      await until(async () => a.partitions.length === 3 && b.partitions.length === 3 && (await held()) === 2, 'c in its process has its share', 5_000);
      expect(performance.now() - joined).toBeLessThan(1_500);
      await stopChild(child, 'SIGTERM');
      expect(child.exitCode).toBe(0);
    } finally {
      await killChildren();
      await a.stop();
      await b.stop();
      await store.close();
    }
  }, 30_000);
});
