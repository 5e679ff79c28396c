import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends, type BackendLocation } from '../support/backends.js';
import { dumpStore } from '../support/store-dump.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const KILLS = 3;

const open: EventStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

function startMirror(from: string, to: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'mirror', '--from', from, '--to', to, '--batch', String(1 + randomInt(300)), '--json'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** Appends, and now and then changes stream metadata, deletes and scavenges, until `stop` says so. */
async function keepWriting(store: EventStore, stop: AbortSignal): Promise<number> {
  let appended = 0;
  for (let round = 0; !stop.aborted; round++) {
    const stream = `order-${randomInt(40)}`;
    const size = 1 + randomInt(30);
    const events = Array.from({ length: size }, (_, index) => ({
      type: 'Written',
      data: { round, index, padding: 'x'.repeat(randomInt(1500)) },
      tags: [`round:${round % 7}`],
    }));
    await store.append(stream, events);
    appended += size;
    if (round % 15 === 3) await store.setStreamMetadata(stream, { maxCount: 1 + randomInt(20), custom: { round } });
    if (round % 23 === 5) await store.deleteStream(stream);
    if (round % 31 === 7) await store.scavenge();
    if (round % 5 === 0) await new Promise((wait) => setTimeout(wait, randomInt(5)));
  }
  return appended;
}

const pairs = backends.flatMap((from) => backends.filter((to) => from.name === 'sqlite' || to.name === 'sqlite').map((to) => [from, to] as const));
let labels = 0;

describe.each(pairs.map(([from, to]) => ({ from, to, title: `${from.name} → ${to.name}` })))('a mirror killed with SIGKILL: $title', ({ from, to }) => {
  it(`resumes after ${KILLS} kills at random moments under continuous appends, and ends equal to the source`, { timeout: 120_000 }, async () => {
    const [fromLocation, toLocation] = [from, to].map((backend: BackendLocation) => backend.location(`mirror_kill_${labels++}`)) as [string, string];
    const source = await openStore(fromLocation);
    open.push(source);
    const stop = new AbortController();
    const writing = keepWriting(source, stop.signal);
    for (let kill_ = 0; kill_ < KILLS; kill_++) {
      const mirror = startMirror(fromLocation, toLocation);
      await new Promise((wait) => setTimeout(wait, 400 + randomInt(1200)));
      await kill(mirror);
    }
    stop.abort();
    const appended = await writing;
    expect(appended).toBeGreaterThan(100);
    const target = await openStore(toLocation);
    open.push(target);
    // the kills left a partial copy: its checkpoint is somewhere in the log
    const killedAt = (await target.copyTarget!.copyState())!.checkpoint.position;
    expect(killedAt).toBeGreaterThan(0);
    const last = startMirror(fromLocation, toLocation);
    const exited = new Promise<number | null>((done) => last.once('exit', (code) => done(code)));
    try {
      const head = await source.copySource!.copyHead();
      for (let state = await target.copyTarget!.copyState(); state!.checkpoint.position < head.head || state!.checkpoint.change < head.lastChange; state = await target.copyTarget!.copyState()) {
        await new Promise((wait) => setTimeout(wait, 50));
      }
    } finally {
      last.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const [a, b] = await Promise.all([dumpStore(source), dumpStore(target)]);
    expect(b.events.length).toBe(a.events.length);
    expect(b).toEqual(a);
  });
});
