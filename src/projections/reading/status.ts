import type { EventStore } from '../../store/event-store.js';
import { consumerStatus } from '../../subscriptions/status.js';
import { generationsFed } from '../lifecycle/generation-states.js';
import { consumerNameOf } from '../definition/projection.js';
import { listProjections, sqlOf } from '../lifecycle/registry.js';
import { readRedactions, redactionNotice, type RedactionNotice } from './redaction-notice.js';

/** Where a projection stands. */
export interface ProjectionStatus {
  name: string;
  version: number;
  sink: string;
  mode: 'async' | 'inline';
  /** The generation readers see. */
  generation: number;
  position: number;
  lagEvents: number;
  lagSeconds: number;
  /** `live`, `catching-up`, `stopped` (nothing feeds it) or `faulted`. */
  state: string;
  parked: number;
  /** A rebuild under way. */
  rebuilding: { generation: number; version: number; position: number; lagEvents: number } | null;
  /** Redactions of events the generation readers see had already applied (docs/corrections.md): when there are any, a rebuild is advised. */
  redactions: RedactionNotice;
}

/**
 * The status of every projection registered in the store (or of those named).
 *
 * ```ts
 * for (const p of await projectionStatus(store)) console.log(p.name, p.state, p.lagEvents);
 * ```
 */
export async function projectionStatus(store: EventStore, names?: readonly string[]): Promise<ProjectionStatus[]> {
  const records = (await listProjections(sqlOf(store, 'status'))).filter((record) => names === undefined || names.includes(record.name));
  const head = await store.headPosition();
  // only the consumers feeding these projections: each status costs reads of the log
  const feeding = records.flatMap((record) => generationsFed(record).map((generation) => consumerNameOf(record.name, generation)));
  const consumers = new Map((await consumerStatus(store, feeding)).map((status) => [status.name, status]));
  const redactions = await readRedactions(store);
  // only when something was redacted: when each live generation began, from its consumer's record
  const began = new Map<string, number>();
  if (redactions.length > 0) {
    for (const record of records) began.set(record.name, (await store.consumers.get(consumerNameOf(record.name, record.live)))?.createdAt ?? 0);
  }
  return records.map((record) => {
    const live = consumers.get(consumerNameOf(record.name, record.live));
    // inline appends move the live position ahead of the consumer that backs them up
    const position = Math.max(record.livePosition, live?.checkpoint ?? 0);
    const building = record.building === null ? undefined : consumers.get(consumerNameOf(record.name, record.building));
    return {
      name: record.name,
      version: record.liveVersion,
      sink: record.sink,
      mode: record.mode,
      generation: record.live,
      position,
      // never below 0: a replay leaves a scratch store whose projection has read further than the store's own empty log
      lagEvents: Math.max(0, Math.min(live?.lagEvents ?? head, head - record.livePosition)),
      lagSeconds: live?.lagSeconds ?? 0,
      state: live?.state ?? 'stopped',
      parked: live?.parked ?? 0,
      rebuilding:
        record.building === null
          ? null
          : {
              generation: record.building,
              version: record.buildingVersion!,
              position: Math.max(record.buildingPosition ?? 0, building?.checkpoint ?? 0),
              lagEvents: Math.min(building?.lagEvents ?? head, head - (record.buildingPosition ?? 0)),
            },
      redactions: redactionNotice(redactions, began.get(record.name) ?? 0, position, live?.filter ?? {}),
    };
  });
}
