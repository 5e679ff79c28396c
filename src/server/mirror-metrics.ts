import { Gauge, type Registry } from 'prom-client';
import type { EventStore } from '../store/event-store.js';
import type { CopyState } from '../store/log-copy.js';

// the four gauges of one scrape share one read of the copy state
const STATE_REUSE_MS = 500;

/**
 * The gauges of a store that is a copy of another (a mirror, a promoted
 * mirror, a restore), read from its copy state at scrape time. Each carries
 * the source store's id as `source`, so a store that is no copy shows none.
 */
export function registerMirrorGauges(registry: Registry, store: EventStore): void {
  const target = store.copyTarget;
  if (target === undefined) return;
  let scrape: { at: number; state: Promise<CopyState | undefined> } | undefined;
  const copyState = () => {
    if (scrape === undefined || scrape.at + STATE_REUSE_MS < Date.now()) scrape = { at: Date.now(), state: target.copyState() };
    return scrape.state;
  };
  const gauge = (name: string, help: string, value: (state: CopyState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['source'],
      registers: [registry],
      async collect() {
        this.reset();
        const state = await copyState();
        if (state !== undefined) this.set({ source: state.sourceId }, value(state));
      },
    });
  gauge('tributary_mirror_lag_events', "Positions between the source's head when the copy last looked and the copy's checkpoint", (state) =>
    Math.max(0, state.sourceHead - state.checkpoint.position),
  );
  gauge('tributary_mirror_checkpoint_position', 'The last position of the source the copy holds', (state) => state.checkpoint.position);
  gauge('tributary_mirror_last_write_age_seconds', 'Seconds since the copy last wrote: a running mirror writes every few seconds', (state) =>
    Math.max(0, Date.now() - state.updatedAt) / 1000,
  );
  gauge('tributary_mirror_read_only', '1 while the store is a mirror that takes no writes, 0 once promoted or restored', (state) =>
    state.role === 'mirror' ? 1 : 0,
  );
}
