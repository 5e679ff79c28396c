// A writer process for the ordering trial: appends random batches for a while, some with expected
// revisions that conflict, and some "ghost" transactions that take the log lock, insert and roll back.
// Reports each acknowledged event id ("acked") and each rolled-back one ("ghost") on stdout.
import { randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { isTributaryError } from '../../src/core/errors.js';

const [url, schema, seconds, streams] = process.argv.slice(2) as [string, string, string, string];
const store = await openPostgresStore({ url, schema, poolSize: 3 });
const deadline = Date.now() + Number(seconds) * 1000;
const known = new Map<string, number>();

function report(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function ghost(raw: pg.Client): Promise<void> {
  // a transaction that holds the lock and inserts at the next positions, then gives up
  await raw.query('BEGIN');
  const locked = await raw.query<{ last_position: string }>(`SELECT last_position FROM ${schema}.log_head FOR UPDATE`);
  const head = Number(locked.rows[0]!.last_position);
  const ids = Array.from({ length: 1 + randomInt(3) }, () => randomUUID());
  for (const [i, id] of ids.entries()) {
    await raw.query(
      `INSERT INTO ${schema}.events (position, stream_id, revision, id, stream, type, recorded_at, data)
       VALUES ($1, -1, $2, $3, 'ghost-1', 'Ghost', 0, '{}')`,
      [head + i + 1, -1 - i - head, id],
    );
  }
  report({ ghost: ids });
  await new Promise((resolve) => setTimeout(resolve, randomInt(5)));
  await raw.query('ROLLBACK');
}

async function loop(): Promise<void> {
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  while (Date.now() < deadline) {
    if (randomInt(20) === 0) {
      await ghost(raw);
      continue;
    }
    const stream = `trial-${randomInt(Number(streams))}`;
    const events = Array.from({ length: 1 + randomInt(10) }, () => ({ id: randomUUID(), type: 'Written', data: { at: Date.now() } }));
    const guess = known.get(stream);
    const expectedRevision = randomInt(10) < 3 && guess !== undefined ? guess : 'any';
    try {
      const result = await store.append(stream, events, { expectedRevision });
      known.set(stream, result.nextExpectedRevision);
      report({ acked: events.map((e) => e.id) });
    } catch (error) {
      if (!isTributaryError(error, 'WRONG_EXPECTED_REVISION')) throw error;
      known.delete(stream);
    }
  }
  await raw.end();
}

report({ ready: true });
await Promise.all([loop(), loop(), loop()]);
await store.close();
