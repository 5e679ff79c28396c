import { EVENT_COLUMNS, STREAM_COLUMNS } from '../../store/sql-rows.js';

/** Every fixed statement of the store, its tables qualified with the store's schema. */
export function statementsFor(schema: string) {
  return {
    /** Serialises every writer and yields the last position handed out (docs/postgres-ordering.md). */
    lockHead: `SELECT last_position FROM ${schema}.log_head FOR UPDATE`,
    setHead: `UPDATE ${schema}.log_head SET last_position = $1`,
    head: `SELECT last_position FROM ${schema}.log_head`,
    streamByName: `SELECT ${STREAM_COLUMNS} FROM ${schema}.streams WHERE name = $1`,
    streamsByName: `SELECT name, ${STREAM_COLUMNS} FROM ${schema}.streams WHERE name = ANY($1::text[])`,
    insertStreams: `INSERT INTO ${schema}.streams (name, category) SELECT * FROM unnest($1::text[], $2::text[]) RETURNING name, stream_id`,
    setStreamHeads: `UPDATE ${schema}.streams AS s SET last_revision = u.revision, last_position = u.position, state = 0
      FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(stream_id, revision, position) WHERE s.stream_id = u.stream_id`,
    eventsById: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE id = ANY($1::uuid[])`,
    insertEvents: (rows: number) =>
      `INSERT INTO ${schema}.events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data) VALUES ` +
      Array.from({ length: rows }, (_, row) => {
        const base = row * 9;
        return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8}, $${base + 9})`;
      }).join(', '),
    insertStream: `INSERT INTO ${schema}.streams (name, category, state) VALUES ($1, $2, $3) RETURNING stream_id`,
    setStreamState: `UPDATE ${schema}.streams SET state = $1, deleted_before = $2 WHERE stream_id = $3`,
    setStreamMetadata: `UPDATE ${schema}.streams SET truncate_before = $1, max_count = $2, max_age = $3, custom_metadata = $4
      WHERE stream_id = $5`,
    readForward: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events
      WHERE stream_id = $1 AND revision >= $2 AND recorded_at >= $3 ORDER BY revision LIMIT $4`,
    readBackward: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events
      WHERE stream_id = $1 AND revision <= $2 AND revision >= $3 AND recorded_at >= $4 ORDER BY revision DESC LIMIT $5`,
    readAll: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT $2`,
    categories: `SELECT category, count(*)::integer AS streams FROM ${schema}.streams WHERE last_revision >= 0 AND state = 0
      GROUP BY category ORDER BY category`,
    retainedStreams: `SELECT ${STREAM_COLUMNS} FROM ${schema}.streams
      WHERE state <> 0 OR deleted_before > 0 OR truncate_before IS NOT NULL OR max_count IS NOT NULL OR max_age IS NOT NULL`,
    scavengeStream: `DELETE FROM ${schema}.events WHERE stream_id = $1 AND (revision < $2 OR recorded_at < $3)`,
  };
}

export type Statements = ReturnType<typeof statementsFor>;

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters at 9 per row. */
export const INSERT_CHUNK = 1000;
