import { TributaryError } from '../../src/core/errors.js';
import type { CopiedStream, CopiedTable, CopyBatch, CopyCheckpoint, CopyState, LogCopyReads, LogCopySource, LogCopyTarget } from '../../src/store/log-copy.js';
import type { EventRow } from '../../src/store/sql-rows.js';

/**
 * A store held in arrays, with the copy source and target of the contract:
 * what the backup file format needs, without a backend. Its target records
 * every call, so a test can tell that a refused restore wrote nothing.
 */
export class MemoryCopyStore {
  readonly location: string;
  events: EventRow[] = [];
  streams = new Map<string, CopiedStream>();
  tables: CopiedTable[] = [];
  state: CopyState | undefined;
  lastChange = 0;
  head = 0;
  /** Every write the target took, by method name. */
  readonly writes: string[] = [];

  constructor(
    location: string,
    private readonly id = `store-${location}`,
  ) {
    this.location = location;
  }

  /** Appends events with 1 KB-ish data to `stream`, at the next positions. */
  append(stream: string, count: number, data = '{"n":0}'): void {
    for (let i = 0; i < count; i++) {
      const revision = this.events.filter((row) => row[2] === stream).length;
      this.head++;
      this.events.push([this.head, `id-${this.id}-${this.head}`, stream, revision, 'Happened', 1_700_000_000_000 + this.head, null, data, null]);
    }
  }

  /** Changes a stream's row (metadata, a delete) at the current head. */
  change(stream: string, customMetadata: string): void {
    this.lastChange++;
    this.streams.set(stream, { ...streamRow(stream), customMetadata, changed: this.lastChange, changedAt: this.head });
  }

  headPosition = async (): Promise<number> => this.head;

  private readonly reads: LogCopyReads = {
    copyHead: async () => ({ head: this.head, lastChange: this.lastChange }),
    readCopyEvents: async (after, until, limit) => this.events.filter((row) => row[0] > after && row[0] <= until).slice(0, limit),
    readStreamChanges: async (afterChange, limit) =>
      [...this.streams.values()]
        .filter((stream) => stream.changed > afterChange)
        .sort((a, b) => a.changed - b.changed)
        .slice(0, limit),
    readTables: async () => structuredClone(this.tables),
  };

  readonly copySource: LogCopySource = {
    ...this.reads,
    storeId: async () => this.id,
    snapshot: async (read) => {
      // a frozen copy of the arrays: later appends do not show through
      const frozen = new MemoryCopyStore(this.location, this.id);
      frozen.events = [...this.events];
      frozen.streams = new Map(this.streams);
      frozen.tables = structuredClone(this.tables);
      frozen.head = this.head;
      frozen.lastChange = this.lastChange;
      return await read(frozen.reads);
    },
  };

  readonly copyTarget: LogCopyTarget = {
    storeId: async () => this.id,
    copyState: async () => this.state,
    isEmpty: async () => this.events.length === 0 && this.streams.size === 0 && this.state === undefined,
    beginCopy: async (sourceId, sourceLocation, role) => {
      if (!(await this.copyTarget.isEmpty())) throw new TributaryError('MIRROR_TARGET_REFUSED', 'not empty', { reason: 'not-empty' });
      this.writes.push('beginCopy');
      this.state = { sourceId, sourceLocation, role, checkpoint: { position: 0, change: 0 }, sourceHead: 0, promoteRequestedAt: null, updatedAt: Date.now() };
    },
    applyCopy: async (from: CopyCheckpoint, batch: CopyBatch) => {
      const state = this.state!;
      if (state.checkpoint.position !== from.position || state.checkpoint.change !== from.change) {
        throw new TributaryError('MIRROR_DIVERGED', 'moved', { expected: from, found: state.checkpoint });
      }
      this.writes.push('applyCopy');
      this.events.push(...batch.events);
      for (const stream of batch.changes) this.streams.set(stream.name, stream);
      // as both backends: no further than the checkpoint, so the head never runs ahead of events still to come
      this.head = Math.max(this.head, Math.min(batch.head, batch.checkpoint.position));
      this.lastChange = batch.checkpoint.change;
      this.state = { ...state, checkpoint: batch.checkpoint, sourceHead: batch.sourceHead };
    },
    replaceTables: async (tables) => {
      this.writes.push('replaceTables');
      this.tables = structuredClone([...tables]);
    },
    updateCopyState: async (change) => {
      this.writes.push('updateCopyState');
      this.state = { ...this.state!, ...change };
    },
  };
}

function streamRow(name: string): CopiedStream {
  return {
    name,
    category: name.split('-')[0]!,
    lastRevision: -1,
    lastPosition: 0,
    state: 0,
    deletedBefore: 0,
    truncateBefore: null,
    maxCount: null,
    maxAge: null,
    customMetadata: null,
    changed: 0,
    changedAt: 0,
    scavengedRevision: 0,
    scavengedRecordedAt: 0,
    scavengedUntil: 0,
  };
}
