import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { CopyState, LogCopySource, LogCopyTarget } from '../store/log-copy.js';

/** The copy source of `store`; every store has one. */
export function copySourceOf(store: EventStore): LogCopySource {
  if (store.copySource === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} cannot be copied from`, { location: store.location });
  }
  return store.copySource;
}

/** The copy target of `store`: a SQLite file or a PostgreSQL database, never a server. */
export function copyTargetOf(store: EventStore): LogCopyTarget {
  if (store.copyTarget === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} cannot be copied into: give a SQLite file or a postgres:// URL`, {
      location: store.location,
    });
  }
  return store.copyTarget;
}

/** The copy state of a store that must be a running mirror; NOT_A_MIRROR otherwise. */
export async function mirrorStateOf(store: EventStore): Promise<CopyState> {
  const state = await copyTargetOf(store).copyState();
  if (state?.role !== 'mirror') {
    const what = state === undefined ? 'is not a mirror' : `is a ${state.role} copy of ${state.sourceId}, not a mirror`;
    throw new TributaryError('NOT_A_MIRROR', `${store.location} ${what}`, { location: store.location, ...(state === undefined ? {} : { role: state.role }) });
  }
  return state;
}

/** How long a mirror may go without writing before it counts as stopped: it writes at least every few seconds while it runs. */
export const MIRROR_ALIVE_MS = 15_000;

/** Whether a mirror process is following into this target now, judged by when it last wrote. */
export function mirrorRunning(state: CopyState, now = Date.now()): boolean {
  return state.role === 'mirror' && now - state.updatedAt < MIRROR_ALIVE_MS;
}
