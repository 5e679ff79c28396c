import { RemoteHttp } from '../backends/remote/remote-http.js';
import { addDeclaredProjection, runDeclared } from '../projections/lifecycle/file-projections.js';
import { queryLakes, searchProjection } from '../projections/reading/queries.js';
import { rebuildProgress, requestRebuild, type RebuildProgress } from '../projections/lifecycle/rebuild.js';
import { requireProjection, sqlOf } from '../projections/lifecycle/registry.js';
import { removeProjection } from '../projections/lifecycle/remove.js';
import type { RunningProjection } from '../projections/feeding/runner.js';
import { projectionStatus, type ProjectionStatus } from '../projections/reading/status.js';
import type { LakeAnswer } from '../projections/sinks/lake-answer.js';
import type { SearchHit } from '../projections/sinks/search-sql.js';
import type { EventStore } from '../store/event-store.js';

/** How long `lake query --url` waits for a server's answer: longer than any time limit a server is likely to set. */
const REMOTE_LAKE_WAIT_MS = 10 * 60_000;

/** What the projection commands need, the same through the database (`--db`) and through a server (`--url`). */
export interface ProjectionsApi {
  list(): Promise<ProjectionStatus[]>;
  add(file: unknown): Promise<ProjectionStatus>;
  rebuild(name: string): Promise<{ generation: number; resumed: boolean }>;
  progress(name: string, generation: number): Promise<Pick<RebuildProgress, 'checkpoint' | 'head' | 'done'>>;
  remove(name: string): Promise<void>;
  search(name: string, terms: string, limit?: number): Promise<SearchHit[]>;
  lakeQuery(sql: string, options: { limit?: number; signal?: AbortSignal }): Promise<LakeAnswer>;
  /** Feeds a declared projection's rebuild in this process; a server feeds its own, code projections are fed by their processes. */
  feed(name: string, onError: (error: unknown) => void): Promise<RunningProjection | undefined>;
}

/** The projections of `store`: its own database, or the server it is a client of. */
export function projectionsApi(store: EventStore, remote: { url: string; token?: string } | undefined): ProjectionsApi {
  return remote === undefined ? localApi(store) : remoteApi(new RemoteHttp(remote.url, remote.token));
}

function localApi(store: EventStore): ProjectionsApi {
  const statusOf = async (name: string) => (await projectionStatus(store, [name]))[0]!;
  return {
    list: () => projectionStatus(store),
    add: async (file) => statusOf((await addDeclaredProjection(store, file)).name),
    rebuild: (name) => requestRebuild(store, name),
    progress: (name, generation) => rebuildProgress(store, name, generation),
    remove: (name) => removeProjection(store, name),
    search: (name, terms, limit) => searchProjection(store, name, terms, { limit }),
    lakeQuery: (sql, options) => queryLakes(store, sql, options),
    async feed(name, onError) {
      const record = await requireProjection(sqlOf(store, name), name);
      return record.definition === null ? undefined : runDeclared(store, record, { watchMs: 200, onError });
    },
  };
}

function remoteApi(http: RemoteHttp): ProjectionsApi {
  const path = (name: string) => `/projections/${encodeURIComponent(name)}`;
  return {
    list: () => http.request('GET', '/projections'),
    add: (file) => http.request('POST', '/projections', { body: file }),
    rebuild: (name) => http.request('POST', `${path(name)}/rebuild`),
    async progress(name, generation) {
      const status = await http.request<ProjectionStatus>('GET', path(name));
      const done = status.generation >= generation;
      const position = done ? status.position : (status.rebuilding?.position ?? 0);
      return { checkpoint: position, head: status.position + status.lagEvents, done };
    },
    remove: (name) => http.request('DELETE', path(name)),
    search: async (name, terms, limit) => (await http.request<{ hits: SearchHit[] }>('GET', `${path(name)}/search`, { query: { q: terms, limit } })).hits,
    // the server stops its query at its own time limit: wait for it rather than give up first
    lakeQuery: (sql, { limit, signal }) => http.request('POST', '/lake/query', { body: { sql, limit }, signal, timeoutMs: REMOTE_LAKE_WAIT_MS }),
    feed: async () => undefined,
  };
}
