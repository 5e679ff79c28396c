import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { readWholeLog } from '../contract/harness.js';

/** Where the worker processes find the store. */
export type RaceStore = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

/** One conditional claim of a resource: an event tagged `tag` appended to `stream`, maybe with a second stream in one call. */
export interface RaceClaim {
  stream: string;
  type: string;
  tag: string;
  /** When set, the claim is an appendMany that also writes this stream. */
  alongside?: string;
}

export interface RaceOutcome {
  claim: string;
  outcome: 'won' | 'lost' | 'taken';
  position?: number;
  conflicts?: number[];
}

function worker(store: RaceStore, claims: readonly RaceClaim[], outcomes: RaceOutcome[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'consistency-races-worker.ts'), JSON.stringify(store), JSON.stringify(claims)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`a race worker exited before it was ready: ${code}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as RaceOutcome & { ready?: boolean };
      if (message.ready) resolve();
      else outcomes.push(message);
    });
  });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  return { child, ready, exited, closed };
}

/**
 * Deals `claims` round-robin to `processes` worker processes; every worker reads
 * and decides, then all are told to go at once, so each claim races the others
 * on its resource. Returns what each worker reported.
 */
export async function runClaimRace(store: RaceStore, claims: readonly RaceClaim[], processes: number): Promise<RaceOutcome[]> {
  const outcomes: RaceOutcome[] = [];
  const workers = Array.from({ length: processes }, (_, w) => worker(store, claims.filter((_, i) => i % processes === w), outcomes));
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.write('go\n');
    const codes = await Promise.all(workers.map((w) => w.exited));
    await Promise.all(workers.map((w) => w.closed));
    if (codes.some((code) => code !== 0)) throw new Error(`a race worker failed: exit codes ${codes.join(', ')}`);
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
  return outcomes;
}


/**
 * The verdict of a race: every claim reported once; exactly one winner per
 * resource, stored once; each loser named the winner's event; an appendMany
 * claim wrote its second stream only when it won.
 */
export async function expectOneWinnerPerResource(store: EventStore, claims: readonly RaceClaim[], outcomes: readonly RaceOutcome[]): Promise<void> {
  expect(outcomes.map((o) => o.claim).sort()).toEqual(claims.map((c) => c.stream).sort());
  // every worker read before any wrote: nobody found a resource taken
  expect(outcomes.filter((o) => o.outcome === 'taken')).toEqual([]);
  const log = await readWholeLog(store);
  const byTag = new Map<string, RecordedEvent[]>();
  for (const e of log) for (const tag of e.tags) byTag.set(tag, [...(byTag.get(tag) ?? []), e]);
  const tags = [...new Set(claims.map((c) => c.tag))];
  expect(tags.map((tag) => [tag, byTag.get(tag)?.length ?? 0])).toEqual(tags.map((tag) => [tag, 1]));
  const winners = outcomes.filter((o) => o.outcome === 'won');
  expect(winners.map((o) => o.claim).sort()).toEqual(tags.map((tag) => byTag.get(tag)![0]!.stream).sort());
  for (const winner of winners) expect(log.find((e) => e.stream === winner.claim)?.position).toBe(winner.position);
  for (const loser of outcomes.filter((o) => o.outcome === 'lost')) {
    const tag = claims.find((c) => c.stream === loser.claim)!.tag;
    expect(loser.conflicts).toEqual([byTag.get(tag)![0]!.position]);
  }
  const alongside = log.filter((e) => e.type === 'Planned').map((e) => e.stream).sort();
  expect(alongside).toEqual(claims.filter((c) => c.alongside !== undefined && winners.some((w) => w.claim === c.stream)).map((c) => c.alongside!).sort());
}

/** Two claims of each of `count` usernames, to be dealt to two processes: each process claims every username once. */
export function usernameClaims(count: number): RaceClaim[] {
  return Array.from({ length: count * 2 }, (_, i) => ({ stream: `user-${i}`, type: 'UsernameClaimed', tag: `username:name${Math.floor(i / 2)}` }));
}

/** `count` bookings of `rooms` rooms; every other one also writes its guest's stream in the same call. */
export function roomBookings(count: number, rooms: number): RaceClaim[] {
  return Array.from({ length: count }, (_, i) => ({
    stream: `booking-${i}`,
    type: 'RoomBooked',
    tag: `room:${i % rooms}`,
    ...(i % 2 === 1 ? { alongside: `guest-${i}` } : {}),
  }));
}
