import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { expectOneWinnerPerResource, roomBookings, runClaimRace, usernameClaims, type RaceClaim } from './consistency-races-trial.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-races-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs the race on a fresh database file, made before the workers open it, and checks its verdict. */
async function race(name: string, claims: RaceClaim[], processes: number): Promise<void> {
  const path = join(folder, `${name}.db`);
  const setup = openSqliteStore({ path });
  try {
    await setup.append('setup-1', [{ type: 'Started', data: {} }]);
    const outcomes = await runClaimRace({ kind: 'sqlite', path }, claims, processes);
    await expectOneWinnerPerResource(setup, claims, outcomes);
  } finally {
    await setup.close();
  }
}

describe('sqlite: conditional appends raced by processes on one file', () => {
  it('two processes claim the same 20 usernames: exactly one winner per username', async () => {
    await race('usernames', usernameClaims(20), 2);
  }, 60_000);

  it('50 concurrent bookings of 10 rooms from 4 processes: exactly one booking per room, none doubled', async () => {
    await race('rooms', roomBookings(50, 10), 4);
  }, 60_000);
});
