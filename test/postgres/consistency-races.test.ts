import { afterAll, describe, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { expectOneWinnerPerResource, roomBookings, runClaimRace, usernameClaims, type RaceClaim } from '../backends/consistency-races-trial.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

/** Runs the race in a fresh schema, made before the workers open it, and checks its verdict. */
async function race(schema: string, claims: RaceClaim[], processes: number): Promise<void> {
  const setup = await openPostgresStore({ url: database!.url, schema, poolSize: 2 });
  try {
    await setup.append('setup-1', [{ type: 'Started', data: {} }]);
    const outcomes = await runClaimRace({ kind: 'postgres', url: database!.url, schema }, claims, processes);
    await expectOneWinnerPerResource(setup, claims, outcomes);
  } finally {
    await setup.close();
  }
}

describe.skipIf(database === undefined)('postgres: conditional appends raced by many processes', () => {
  it('two processes claim the same 20 usernames: exactly one winner per username', async () => {
    await race('usernames', usernameClaims(20), 2);
  }, 60_000);

  it('50 concurrent bookings of 10 rooms from 8 processes: exactly one booking per room, none doubled', async () => {
    await race('rooms', roomBookings(50, 10), 8);
  }, 60_000);
});
