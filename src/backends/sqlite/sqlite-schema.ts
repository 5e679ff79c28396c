import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { TributaryError } from '../../core/errors.js';
import { fillBatches, stderrProgress, type MigrationProgress } from '../../store/category-index-fill.js';

/** One step of the schema: `version` is its place in the list, from 1. */
export interface SqliteMigration {
  version: number;
  /** What it adds, in the words of PostgreSQL's migration of the same version. */
  description: string;
  up(db: Database, report: MigrationProgress): void;
}

const run = (sql: string) => (db: Database) => void db.exec(sql);

/**
 * Versioned migrations. The version lives in `PRAGMA user_version`, read
 * before anything else, so an up-to-date database costs one pragma at open.
 * Append a migration to change the schema; never edit a released one.
 * PostgreSQL's list has the same versions (a test checks it).
 */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'the log: streams and events',
    up: run(`
  CREATE TABLE streams (
    stream_id       INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    category        TEXT NOT NULL,
    last_revision   INTEGER NOT NULL DEFAULT -1,
    last_position   INTEGER NOT NULL DEFAULT 0,
    state           INTEGER NOT NULL DEFAULT 0,
    deleted_before  INTEGER NOT NULL DEFAULT 0,
    truncate_before INTEGER,
    max_count       INTEGER,
    max_age         INTEGER,
    custom_metadata TEXT
  );
  CREATE INDEX streams_by_category ON streams (category, name);

  -- AUTOINCREMENT: a position is never handed out twice, even after the newest events are scavenged
  CREATE TABLE events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    id          TEXT NOT NULL,
    stream      TEXT NOT NULL,
    type        TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    metadata    TEXT,
    data        TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_by_stream ON events (stream_id, revision);
  CREATE UNIQUE INDEX events_by_id ON events (id);
  `),
  },
  {
    version: 2,
    description: 'consumers: checkpoints, group members, parked events',
    up: run(`
  CREATE TABLE consumers (
    name       TEXT PRIMARY KEY,
    filter     TEXT NOT NULL,
    fault      TEXT,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE consumer_partitions (
    consumer   TEXT NOT NULL,
    partition  INTEGER NOT NULL,
    checkpoint INTEGER NOT NULL,
    owner      TEXT,
    PRIMARY KEY (consumer, partition)
  ) WITHOUT ROWID;

  CREATE TABLE consumer_members (
    consumer    TEXT NOT NULL,
    member      TEXT NOT NULL,
    state       TEXT NOT NULL,
    position    INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    joined_at   INTEGER NOT NULL,
    PRIMARY KEY (consumer, member)
  ) WITHOUT ROWID;

  CREATE TABLE parked_events (
    consumer  TEXT NOT NULL,
    position  INTEGER NOT NULL,
    event_id  TEXT NOT NULL,
    stream    TEXT NOT NULL,
    type      TEXT NOT NULL,
    error     TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    parked_at INTEGER NOT NULL,
    replay    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer, position)
  ) WITHOUT ROWID;
  `),
  },
  {
    version: 3,
    description: 'API tokens',
    up: run(`
  CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  ) WITHOUT ROWID;
  `),
  },
  {
    version: 4,
    description: 'the projection registry',
    up(db) {
      // versions before this one created it on first use, the oldest without removed_at
      db.exec(`
  CREATE TABLE IF NOT EXISTS tributary_projections (
    name              TEXT PRIMARY KEY,
    sink              TEXT NOT NULL,
    mode              TEXT NOT NULL,
    live              INTEGER NOT NULL,
    live_version      INTEGER NOT NULL,
    live_position     INTEGER NOT NULL,
    building          INTEGER,
    building_version  INTEGER,
    building_position INTEGER,
    retired           INTEGER,
    definition        TEXT,
    location          TEXT,
    updated_at        INTEGER NOT NULL,
    removed_at        INTEGER
  );
  `);
      const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('tributary_projections')").all();
      if (!columns.some((column) => column.name === 'removed_at')) db.exec('ALTER TABLE tributary_projections ADD COLUMN removed_at INTEGER');
    },
  },
  {
    version: 5,
    description: 'category and type indexes of the log',
    up(db, report) {
      // a narrow table rather than a column on events: an existing log fills it without rewriting every event row
      db.exec(`
  CREATE TABLE event_categories (
    category TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (category, position)
  ) WITHOUT ROWID;
  CREATE INDEX events_by_type ON events (type);
  `);
      const head = db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM events').get()?.head ?? 0;
      const fill = db.prepare<[number, number]>(
        `INSERT INTO event_categories (category, position)
         SELECT s.category, e.position FROM events e JOIN streams s ON s.stream_id = e.stream_id
         WHERE e.position > ? AND e.position <= ? ORDER BY s.category, e.position`,
      );
      for (const { after, until } of fillBatches(head, report)) fill.run(after, until);
    },
  },
  {
    version: 6,
    description: 'snapshots of folded stream state',
    // keyed by stream name, not stream_id: a snapshot needs no stream row to be written, and is judged against the stream when read
    up: run(`
  CREATE TABLE tributary_snapshots (
    stream        TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    revision      INTEGER NOT NULL,
    from_revision INTEGER NOT NULL,
    state         TEXT NOT NULL,
    written_at    INTEGER NOT NULL,
    PRIMARY KEY (stream, name)
  );
  `),
  },
  {
    version: 7,
    description: 'appends in one database call',
    // SQLite appends run in-process, where a call costs no round trip: nothing to add
    up() {},
  },
  {
    version: 8,
    description: 'event tags and their index',
    // a nullable column without a default: SQLite adds it without rewriting a row
    up: run(`
  ALTER TABLE events ADD COLUMN tags TEXT;
  CREATE TABLE event_tags (
    tag      TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tag, position)
  ) WITHOUT ROWID;
  `),
  },
  {
    version: 9,
    description: 'store identity, stream changes and copy state',
    up(db) {
      // columns with constant defaults or none: SQLite adds them without rewriting a row (the fill below writes each stream row once)
      db.exec(`
  CREATE TABLE store_identity (
    only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
    store_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE copy_state (
    only_row             INTEGER PRIMARY KEY CHECK (only_row = 1),
    source_id            TEXT NOT NULL,
    source_location      TEXT NOT NULL,
    role                 TEXT NOT NULL,
    position             INTEGER NOT NULL,
    change               INTEGER NOT NULL,
    source_head          INTEGER NOT NULL,
    promote_requested_at INTEGER,
    updated_at           INTEGER NOT NULL
  );
  ALTER TABLE streams ADD COLUMN changed INTEGER;
  ALTER TABLE streams ADD COLUMN changed_at INTEGER;
  ALTER TABLE streams ADD COLUMN scavenged_revision INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE streams ADD COLUMN scavenged_recorded_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE streams ADD COLUMN scavenged_until INTEGER NOT NULL DEFAULT 0;
  `);
      // every existing stream counts as changed at the current head, so a copy of an older store carries each stream's row
      db.exec(`UPDATE streams SET changed = stream_id,
        changed_at = coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`);
      // partial: the streams appends create have no change and stay out of it; built after the fill, in one pass
      db.exec('CREATE INDEX streams_by_change ON streams (changed) WHERE changed IS NOT NULL');
      db.prepare('INSERT INTO store_identity (only_row, store_id, created_at) VALUES (1, ?, ?)').run(randomUUID(), Date.now());
    },
  },
  {
    version: 10,
    description: 'what-if branches and their events, apart from the log',
    up: run(`
  CREATE TABLE tributary_branches (
    name          TEXT PRIMARY KEY,
    fork_position INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT,
    last_seq      INTEGER NOT NULL DEFAULT 0
  );
  -- a branch event's position in its branch is fork_position + seq
  CREATE TABLE tributary_branch_events (
    branch      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    stream      TEXT NOT NULL,
    category    TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    id          TEXT NOT NULL,
    type        TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    metadata    TEXT,
    data        TEXT NOT NULL,
    tags        TEXT
  );
  CREATE UNIQUE INDEX tributary_branch_events_by_seq ON tributary_branch_events (branch, seq);
  CREATE UNIQUE INDEX tributary_branch_events_by_stream ON tributary_branch_events (branch, stream, revision);
  CREATE UNIQUE INDEX tributary_branch_events_by_id ON tributary_branch_events (branch, id);
  `),
  },
  {
    version: 11,
    description: 'as-of reads: a lookup of the position at a time, recorded times that never decrease',
    // nothing to store: the writer stamps max(clock, last recorded) inside its transaction, and positionAt probes the primary key
    up: () => undefined,
  },
  {
    version: 12,
    description: 'corrections and erasure: events by correlation id, per-subject keys, gateway recordings',
    up: run(`
  -- partial: events without a correlation id cost no index write; history finds a correlation's events without a scan
  CREATE INDEX events_by_correlation ON events (json_extract(metadata, '$.correlationId'), position)
    WHERE json_extract(metadata, '$.correlationId') IS NOT NULL;

  -- the keys of crypto-shredded personal fields, never in the log: forgetting a subject clears its secret
  CREATE TABLE tributary_subject_keys (
    key_id       INTEGER PRIMARY KEY,
    subject      TEXT NOT NULL,
    secret       BLOB,
    created_at   INTEGER NOT NULL,
    forgotten_at INTEGER
  );
  CREATE UNIQUE INDEX tributary_subject_keys_live ON tributary_subject_keys (subject) WHERE forgotten_at IS NULL;

  -- what the gateway answered or did on an event's first handling, per consumer or projection lineage
  CREATE TABLE tributary_gateway_recordings (
    owner       TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    response    TEXT,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (owner, event_id, key)
  ) WITHOUT ROWID;
  `),
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to date. Safe when several processes open the same
 * file at once: the version is read again under the write lock.
 */
export function migrate(db: Database, report: MigrationProgress = stderrProgress): void {
  if (userVersion(db) === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = userVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new TributaryError(
        'SCHEMA_TOO_NEW',
        `the database has schema version ${current}; this Tributary knows up to ${SCHEMA_VERSION}`,
        { found: current, supported: SCHEMA_VERSION },
      );
    }
    for (const migration of MIGRATIONS.slice(current)) migration.up(db, report);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
