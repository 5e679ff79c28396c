import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { scratch } from '../support/backends.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

const MIRROR_SAMPLE = /^tributary_mirror_/m;

/** The value of one sample line of a Prometheus text exposition. */
function sample(text: string, name: string, source: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{source="${source}"} `));
  if (line === undefined) throw new Error(`no ${name} for ${source} in\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the mirror gauges of /metrics', () => {
  it('show a copy’s lag, checkpoint, last write age and read-only flag from its copy state at each scrape, and /copy/state shows that state', async () => {
    const source = await openStore(`${scratch}/metrics-source.db`);
    try {
      await source.append('order-1', Array.from({ length: 5 }, (_, i) => ({ type: 'Placed', data: { i } })));
      const sourceId = await source.copySource!.storeId();
      await withServer({ open: false }, async ({ app, store, token }) => {
        const reader = await token('read:*');
        const admin = await token('admin');
        const metrics = async () => (await app.inject({ method: 'GET', url: '/metrics', headers: reader })).body;
        expect(await metrics()).not.toMatch(MIRROR_SAMPLE);

        // a store of its own, empty: this server's store holds its tokens
        await withServer({ open: true }, async (mirror) => {
          await mirror.store.copyTarget!.beginCopy(sourceId, source.location, 'mirror');
          const rows = await source.copySource!.readCopyEvents(0, 5, 100);
          await mirror.store.copyTarget!.applyCopy(
            { position: 0, change: 0 },
            { events: rows.slice(0, 3), changes: [], checkpoint: { position: 3, change: 0 }, head: 3, sourceHead: 5 },
          );
          const before = Date.now();
          const text = (await mirror.app.inject({ method: 'GET', url: '/metrics' })).body;
          expect(sample(text, 'tributary_mirror_lag_events', sourceId)).toBe(2);
          expect(sample(text, 'tributary_mirror_checkpoint_position', sourceId)).toBe(3);
          expect(sample(text, 'tributary_mirror_read_only', sourceId)).toBe(1);
          const age = sample(text, 'tributary_mirror_last_write_age_seconds', sourceId);
          expect(age).toBeGreaterThanOrEqual(0);
          expect(age).toBeLessThan((Date.now() - before) / 1000 + 5);

          const state = await mirror.app.inject({ method: 'GET', url: '/copy/state' });
          expect(state.statusCode).toBe(200);
          (await OpenApiContract.load(mirror.app)).check('GET', '/copy/state', 200, JSON.parse(state.body));
          expect(JSON.parse(state.body)).toMatchObject({ sourceId, sourceLocation: source.location, role: 'mirror', checkpoint: { position: 3, change: 0 }, sourceHead: 5, promoteRequestedAt: null });

          await mirror.store.copyTarget!.updateCopyState({ role: 'promoted' });
          // one read of the copy state serves a scrape's gauges for half a second
          await sleep(600);
          const promoted = (await mirror.app.inject({ method: 'GET', url: '/metrics' })).body;
          expect(sample(promoted, 'tributary_mirror_read_only', sourceId)).toBe(0);
          expect(sample(promoted, 'tributary_mirror_lag_events', sourceId)).toBe(2);
        });
        expect(await metrics()).not.toMatch(MIRROR_SAMPLE);
        expect((await app.inject({ method: 'GET', url: '/copy/state', headers: admin })).json()).toMatchObject({ error: { code: 'NOT_A_MIRROR', location: store.location } });
      });
    } finally {
      await source.close();
    }
  });
});
