// A worker process of the consistency races: for each of its claims (a username, a room) it reads
// the head and the claims on that resource, decides, reports ready, and on "go" (a line on stdin)
// fires every conditional append at once. Reports each outcome on stdout as a JSON line.
import { createInterface } from 'node:readline';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import type { AppendCondition } from '../../src/core/event-query.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { RaceClaim, RaceStore } from './consistency-races-trial.js';

const [storeJson, claimsJson] = process.argv.slice(2) as [string, string];
const target = JSON.parse(storeJson) as RaceStore;
const claims = JSON.parse(claimsJson) as RaceClaim[];

function open(): Promise<EventStore> | EventStore {
  if (target.kind === 'sqlite') return openSqliteStore({ path: target.path });
  return openPostgresStore({ url: target.url, schema: target.schema, poolSize: 3 });
}

function report(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

/** Whether the resource is already claimed at or before `head`, read by its tag. */
async function takenAt(store: EventStore, { type, tag }: RaceClaim, head: number): Promise<boolean> {
  let after: number | null = 0;
  while (after !== null) {
    const page = await store.readAll({ query: [{ types: [type], tags: [tag] }], after, limit: 100 });
    if (page.events.some((e) => e.position <= head)) return true;
    after = page.next;
  }
  return false;
}

const store = await open();
const decided: { claim: RaceClaim; condition: AppendCondition }[] = [];
for (const claim of claims) {
  const head = await store.headPosition();
  if (await takenAt(store, claim, head)) {
    report({ claim: claim.stream, outcome: 'taken' });
    continue;
  }
  decided.push({ claim, condition: { failIfEventsMatch: [{ types: [claim.type], tags: [claim.tag] }], after: head } });
}
const go = new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
report({ ready: true });
await go;

await Promise.all(
  decided.map(async ({ claim, condition }) => {
    const claimed = [{ type: claim.type, data: { by: claim.stream }, tags: [claim.tag] }];
    try {
      const position = claim.alongside === undefined
        ? (await store.append(claim.stream, claimed, { expectedRevision: 'no_stream', condition })).position
        : (await store.appendMany([{ stream: claim.stream, events: claimed }, { stream: claim.alongside, events: [{ type: 'Planned', data: {} }] }], { condition })).streams[0]!.position;
      report({ claim: claim.stream, outcome: 'won', position });
    } catch (error) {
      if (!isTributaryError(error, 'APPEND_CONDITION_FAILED')) throw error;
      report({ claim: claim.stream, outcome: 'lost', conflicts: (error.details as { positions: number[] }).positions });
    }
  }),
);
await store.close();
process.stdin.destroy();
