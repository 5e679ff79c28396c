import { afterAll, describe, expect, it } from 'vitest';
import { throwawayDatabase } from '../support/postgres.js';
import { runOrderingTrial } from './ordering-trial.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

describe.skipIf(database === undefined)('postgres: many processes, one log', () => {
  it(
    '8 writer processes and 2 readers: every reader sees every committed event exactly once, in order; rolled-back appends leave nothing',
    async () => {
      const outcome = await runOrderingTrial({ url: database!.url, schema: 'trial', writers: 8, readers: 2, seconds: 4, streams: 50 });
      const positions = outcome.committed.map((e) => e.position);
      const ids = outcome.committed.map((e) => e.id);
      expect(positions.length).toBeGreaterThan(500);
      expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
      for (const reader of outcome.readers) {
        expect(reader.positions).toEqual(positions);
        expect(reader.ids).toEqual(ids);
      }
      const stored = new Set(ids);
      expect([...outcome.acked].filter((id) => !stored.has(id))).toEqual([]);
      expect(outcome.ghosts.size).toBeGreaterThan(0);
      expect([...outcome.ghosts].filter((id) => stored.has(id))).toEqual([]);
      expect(outcome.killedWriter).toBe(true);
    },
    120_000,
  );
});
