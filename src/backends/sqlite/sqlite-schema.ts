import type { Database } from 'better-sqlite3';
import { TributaryError } from '../../core/errors.js';

/**
 * Versioned migrations. The version lives in `PRAGMA user_version`, read
 * before anything else, so an up-to-date database costs one pragma at open.
 * Append a migration to change the schema; never edit a released one.
 */
const MIGRATIONS: readonly string[] = [
  `
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
  `,
  `
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
  `,
  `
  CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to date. Safe when several processes open the same
 * file at once: the version is read again under the write lock.
 */
export function migrate(db: Database): void {
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
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
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
