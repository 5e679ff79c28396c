import { COPIED_STREAM_COLUMNS } from '../../store/copy-rows.js';
import { EVENT_COLUMNS, STREAM_COLUMNS } from '../../store/sql-rows.js';

/** Every fixed statement of the store, its tables qualified with the store's schema. */
export function statementsFor(schema: string) {
  // a change other than an append: the next store-wide number, at the head (every such write holds the log_head lock)
  const changed = `changed = nextval('${schema}.stream_changes'), changed_at = (SELECT last_position FROM ${schema}.log_head)`;
  return {
    /** Serialises every writer and yields the last position handed out (docs/postgres-ordering.md). */
    lockHead: `SELECT last_position FROM ${schema}.log_head FOR UPDATE`,
    head: `SELECT last_position FROM ${schema}.log_head`,
    streamByName: `SELECT ${STREAM_COLUMNS} FROM ${schema}.streams WHERE name = $1`,
    /** What the rules need to decide a group: the heads of its streams and the stored events with its ids. */
    groupState: (names: string, ids: string) =>
      `SELECT
         (SELECT coalesce(json_agg(json_build_array(name, last_revision, last_position, state)), '[]'::json)
            FROM ${schema}.streams WHERE name = ANY(${names})) AS streams,
         (SELECT coalesce(json_agg(json_build_array(${EVENT_COLUMNS})), '[]'::json)
            FROM ${schema}.events WHERE id = ANY(${ids})) AS events,
         (SELECT recorded_at FROM ${schema}.events ORDER BY position DESC LIMIT 1) AS last_recorded`,
    /**
     * A group's whole write in one statement: create and move its streams, insert its events
     * (one array per column, $11 to $17, and their tags' JSON $19) with their categories ($18, for the category index)
     * and their tags ($20, with the positions of their events $21, for the tag index),
     * move the log head to $8 and notify channel $9.
     * Its text never changes, so each connection prepares it once.
     */
    writeGroup: `WITH created AS (
         INSERT INTO ${schema}.streams (name, category, last_revision, last_position)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
         RETURNING name, stream_id
       ), updated AS (
         UPDATE ${schema}.streams AS s SET last_revision = u.revision, last_position = u.position, state = 0
         FROM unnest($5::text[], $6::bigint[], $7::bigint[]) AS u(name, revision, position)
         WHERE s.name = u.name
         RETURNING s.name, s.stream_id
       ), ids AS (
         SELECT name, stream_id FROM created UNION ALL SELECT name, stream_id FROM updated
       ), inserted AS (
         INSERT INTO ${schema}.events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data, tags)
         SELECT e.position, ids.stream_id, e.revision, e.id, e.stream, e.type, $10, e.metadata, e.data, e.tags
         FROM unnest($11::bigint[], $12::bigint[], $13::uuid[], $14::text[], $15::text[], $16::text[], $17::text[], $19::text[])
           AS e(position, revision, id, stream, type, metadata, data, tags)
         JOIN ids ON ids.name = e.stream
         RETURNING 1
       ), categorized AS (
         INSERT INTO ${schema}.event_categories (category, position)
         SELECT * FROM unnest($18::text[], $11::bigint[])
       ), tagged AS (
         INSERT INTO ${schema}.event_tags (tag, position)
         SELECT * FROM unnest($20::text[], $21::bigint[])
       ), moved AS (
         UPDATE ${schema}.log_head SET last_position = $8 RETURNING 1
       )
       SELECT (SELECT count(*) FROM inserted)::integer AS inserted, (SELECT count(*) FROM moved)::integer AS moved,
              pg_notify($9, $8::text)`,
    /** A whole append group in one call that commits on its own (postgres-append-call.ts); prepared once per connection. */
    appendGroup: `SELECT ${schema}.append_group($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) AS result`,
    insertStream: `INSERT INTO ${schema}.streams (name, category, state) VALUES ($1, $2, $3) RETURNING stream_id`,
    setStreamState: `UPDATE ${schema}.streams SET state = $1, deleted_before = $2, ${changed} WHERE stream_id = $3`,
    deleteSnapshots: `DELETE FROM ${schema}.tributary_snapshots WHERE stream = $1`,
    setStreamMetadata: `UPDATE ${schema}.streams SET truncate_before = $1, max_count = $2, max_age = $3, custom_metadata = $4, ${changed}
      WHERE stream_id = $5`,
    readForward: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events
      WHERE stream_id = $1 AND revision >= $2 AND revision <= $3 AND recorded_at >= $4 ORDER BY revision LIMIT $5`,
    readBackward: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events
      WHERE stream_id = $1 AND revision <= $2 AND revision >= $3 AND recorded_at >= $4 ORDER BY revision DESC LIMIT $5`,
    readAll: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT $2`,
    /** A read of the log as of a point: nothing past position $3. */
    readAllUntil: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position > $1 AND position <= $3 ORDER BY position LIMIT $2`,
    /** The head and the position a read as of $1 (a position) or $2 (a time, through position_at, migration 11) stops at. */
    asOf: `SELECT h.last_position AS head, coalesce($1::bigint, ${schema}.position_at($2::bigint)) AS position FROM ${schema}.log_head h`,
    /**
     * The same for a stream read, with the stream's row and its last revision at that position, in one round trip:
     * the row's own when the stream has not moved since, else the walk down its index to the first event at or before it.
     * OFFSET 0 keeps the planner from pulling the subquery up, which would call position_at once per reference to it.
     */
    streamAsOf: `SELECT ${STREAM_COLUMNS.split(', ').map((column) => `s.${column}`).join(', ')}, p.head, p.position,
         CASE WHEN s.last_position <= p.position THEN s.last_revision
           ELSE (SELECT e.revision FROM ${schema}.events e WHERE e.stream_id = s.stream_id AND e.position <= p.position ORDER BY e.revision DESC LIMIT 1) END
       FROM (SELECT h.last_position AS head, coalesce($2::bigint, ${schema}.position_at($3::bigint)) AS position FROM ${schema}.log_head h OFFSET 0) p
       LEFT JOIN ${schema}.streams s ON s.name = $1`,
    positionAt: `SELECT ${schema}.position_at($1::bigint) AS position`,
    categories: `SELECT category, count(*)::integer AS streams FROM ${schema}.streams WHERE last_revision >= 0 AND state = 0
      GROUP BY category ORDER BY category`,
    retainedStreams: `SELECT ${STREAM_COLUMNS} FROM ${schema}.streams
      WHERE state <> 0 OR deleted_before > 0 OR truncate_before IS NOT NULL OR max_count IS NOT NULL OR max_age IS NOT NULL`,
    /**
     * Removes a stream's events below its floor ($2 revision, $3 recorded time) and their index rows; yields how many events went.
     * A stream that lost events records the change, and its floors for copies ($4: the revision floor as copy-rows.ts records it).
     */
    scavengeStream: `WITH gone AS (
         DELETE FROM ${schema}.events WHERE stream_id = $1 AND (revision < $2 OR recorded_at < $3) RETURNING position, tags
       ), unindexed AS (
         DELETE FROM ${schema}.event_categories c USING gone
         WHERE c.category = (SELECT category FROM ${schema}.streams WHERE stream_id = $1) AND c.position = gone.position
       ), untagged AS (
         DELETE FROM ${schema}.event_tags t
         USING (SELECT gone.position, j.tag FROM gone CROSS JOIN LATERAL json_array_elements_text(gone.tags::json) AS j(tag)
                WHERE gone.tags IS NOT NULL) AS x
         WHERE t.tag = x.tag AND t.position = x.position
       ), marked AS (
         UPDATE ${schema}.streams SET ${changed}, scavenged_revision = greatest(scavenged_revision, $4),
           scavenged_recorded_at = greatest(scavenged_recorded_at, $3), scavenged_until = (SELECT last_position FROM ${schema}.log_head)
         WHERE stream_id = $1 AND EXISTS (SELECT 1 FROM gone)
       )
       SELECT count(*)::integer AS removed FROM gone`,
    copy: copyStatementsFor(schema),
  };
}

/** The statements of the exact copy (postgres-copy.ts). */
function copyStatementsFor(schema: string) {
  return {
    storeId: `SELECT store_id FROM ${schema}.store_identity`,
    /** Both in one snapshot: every change up to the last one is placed at or below the head. */
    head: `SELECT h.last_position AS head, (SELECT coalesce(max(changed), 0) FROM ${schema}.streams) AS last_change FROM ${schema}.log_head h`,
    events: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`,
    streamChanges: `SELECT ${COPIED_STREAM_COLUMNS} FROM ${schema}.streams WHERE changed > $1 ORDER BY changed LIMIT $2`,
    state: `SELECT source_id, source_location, role, position, change, source_head, promote_requested_at, updated_at FROM ${schema}.copy_state`,
    role: `SELECT role, source_id FROM ${schema}.copy_state`,
    /** Whether a copy may begin here, and this store's id. */
    emptiness: `SELECT i.store_id,
         NOT EXISTS (SELECT 1 FROM ${schema}.events) AND NOT EXISTS (SELECT 1 FROM ${schema}.streams)
         AND NOT EXISTS (SELECT 1 FROM ${schema}.consumers) AND NOT EXISTS (SELECT 1 FROM ${schema}.tokens)
         AND NOT EXISTS (SELECT 1 FROM ${schema}.tributary_projections) AND NOT EXISTS (SELECT 1 FROM ${schema}.copy_state) AS empty
       FROM ${schema}.store_identity i`,
    begin: `INSERT INTO ${schema}.copy_state (source_id, source_location, role, position, change, source_head, updated_at)
      VALUES ($1, $2, $3, 0, 0, 0, $4)`,
    /** One batch in one call that commits on its own (the apply_copy function, migration 9); prepared once per connection. */
    apply: `SELECT ${schema}.apply_copy($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) AS found`,
    /** $2 says whether $3 is the new promote request. */
    update: `UPDATE ${schema}.copy_state SET role = coalesce($1, role),
        promote_requested_at = CASE WHEN $2 THEN $3::bigint ELSE promote_requested_at END,
        source_head = coalesce($4, source_head), updated_at = $5
      RETURNING role, source_id`,
  };
}

export type Statements = ReturnType<typeof statementsFor>;

/** Now in milliseconds on the database's clock: leases and stamps agree across machines. */
export const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

