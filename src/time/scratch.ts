import type { EventStore } from '../store/event-store.js';

/** A throwaway place to build a projection in: an empty store and an empty lake directory, removed by `dispose`. */
export interface Scratch {
  store: EventStore;
  lakeDirectory: string;
  /** Closes the store and deletes everything of the scratch. */
  dispose(): Promise<void>;
}

/** Makes a fresh scratch; the open layer's `openScratchStore` makes one in a temporary SQLite file. */
export type OpenScratch = () => Promise<Scratch>;
