import type { Pool, PoolClient } from 'pg';
import { TributaryError } from '../../core/errors.js';
import { fillBatches, stderrProgress, type MigrationProgress } from '../../store/category-index-fill.js';
import { schemaIdentifier } from './postgres-config.js';
import { NOW_MS } from './postgres-statements.js';

/** One step of the schema: `version` is its place in the list, from 1. */
export interface PostgresMigration {
  version: number;
  /** What it adds, in the words of SQLite's migration of the same version. */
  description: string;
  /** Its statements; `$schema` stands for the store's schema. */
  sql: string;
  /** What runs after the statements, for steps that work in batches; `schema` is quoted. */
  fill?(client: PoolClient, schema: string, report: MigrationProgress): Promise<void>;
}

/**
 * Versioned migrations, run in one transaction with the version table. Append
 * a migration to change the schema; never edit a released one. SQLite's list
 * has the same versions (a test checks it).
 */
export const MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'the log: streams and events',
    sql: `
  CREATE TABLE $schema.streams (
    stream_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text COLLATE "C" NOT NULL UNIQUE,
    category        text COLLATE "C" NOT NULL,
    last_revision   bigint NOT NULL DEFAULT -1,
    last_position   bigint NOT NULL DEFAULT 0,
    state           smallint NOT NULL DEFAULT 0,
    deleted_before  bigint NOT NULL DEFAULT 0,
    truncate_before bigint,
    max_count       bigint,
    max_age         bigint,
    custom_metadata text
  );
  CREATE INDEX streams_by_category ON $schema.streams (category, name);

  -- positions are assigned under the log_head row lock, so they commit in order (docs/postgres-ordering.md)
  CREATE TABLE $schema.events (
    position    bigint PRIMARY KEY,
    stream_id   bigint NOT NULL,
    revision    bigint NOT NULL,
    id          uuid NOT NULL,
    stream      text COLLATE "C" NOT NULL,
    type        text COLLATE "C" NOT NULL,
    recorded_at bigint NOT NULL,
    metadata    text,
    data        text NOT NULL
  );
  CREATE UNIQUE INDEX events_by_stream ON $schema.events (stream_id, revision);
  CREATE UNIQUE INDEX events_by_id ON $schema.events (id);

  CREATE TABLE $schema.log_head (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_position bigint NOT NULL
  );
  INSERT INTO $schema.log_head (last_position) VALUES (0);
  `,
  },
  {
    version: 2,
    description: 'consumers: checkpoints, group members, parked events',
    sql: `
  CREATE TABLE $schema.consumers (
    name       text COLLATE "C" PRIMARY KEY,
    filter     text NOT NULL,
    fault      text,
    created_at bigint NOT NULL
  );

  CREATE TABLE $schema.consumer_partitions (
    consumer   text COLLATE "C" NOT NULL,
    partition  integer NOT NULL,
    checkpoint bigint NOT NULL,
    owner      text,
    PRIMARY KEY (consumer, partition)
  );

  CREATE TABLE $schema.consumer_members (
    consumer    text COLLATE "C" NOT NULL,
    member      text COLLATE "C" NOT NULL,
    state       text NOT NULL,
    position    bigint NOT NULL,
    lease_until bigint NOT NULL,
    joined_at   bigint NOT NULL,
    PRIMARY KEY (consumer, member)
  );

  CREATE TABLE $schema.parked_events (
    consumer  text COLLATE "C" NOT NULL,
    position  bigint NOT NULL,
    event_id  uuid NOT NULL,
    stream    text NOT NULL,
    type      text NOT NULL,
    error     text NOT NULL,
    attempts  integer NOT NULL,
    parked_at bigint NOT NULL,
    replay    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (consumer, position)
  );
  `,
  },
  {
    version: 3,
    description: 'API tokens',
    sql: `
  CREATE TABLE $schema.tokens (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    secret_hash text NOT NULL,
    scopes      text NOT NULL,
    created_at  bigint NOT NULL,
    revoked_at  bigint
  );
  `,
  },
  {
    version: 4,
    description: 'the projection registry',
    // versions before this one created it on first use, the oldest without removed_at
    sql: `
  CREATE TABLE IF NOT EXISTS $schema.tributary_projections (
    name              text PRIMARY KEY,
    sink              text NOT NULL,
    mode              text NOT NULL,
    live              integer NOT NULL,
    live_version      integer NOT NULL,
    live_position     bigint NOT NULL,
    building          integer,
    building_version  integer,
    building_position bigint,
    retired           integer,
    definition        text,
    location          text,
    updated_at        bigint NOT NULL,
    removed_at        bigint
  );
  ALTER TABLE $schema.tributary_projections ADD COLUMN IF NOT EXISTS removed_at bigint;
  `,
  },
  {
    version: 5,
    description: 'category and type indexes of the log',
    // a narrow table rather than a column on events: an existing log fills it without rewriting every event row (and its MVCC copy)
    sql: `
  CREATE TABLE $schema.event_categories (
    category text COLLATE "C" NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (category, position)
  );
  CREATE INDEX events_by_type ON $schema.events (type, position);
  ${positionsFunction('category_positions', 'event_categories', 'category')}
  ${positionsFunction('type_positions', 'events', 'type')}
  `,
    async fill(client, schema, report) {
      const { rows } = await client.query<{ head: string | null }>(`SELECT max(position) AS head FROM ${schema}.events`);
      for (const { after, until } of fillBatches(Number(rows[0]?.head ?? 0), report)) {
        await client.query(
          `INSERT INTO ${schema}.event_categories (category, position)
           SELECT s.category, e.position FROM ${schema}.events e JOIN ${schema}.streams s ON s.stream_id = e.stream_id
           WHERE e.position > $1 AND e.position <= $2 ORDER BY s.category, e.position`,
          [after, until],
        );
      }
    },
  },
  {
    version: 6,
    description: 'snapshots of folded stream state',
    // keyed by stream name, not stream_id: a snapshot needs no stream row to be written, and is judged against the stream when read
    sql: `
  CREATE TABLE $schema.tributary_snapshots (
    stream        text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    version       bigint NOT NULL,
    revision      bigint NOT NULL,
    from_revision bigint NOT NULL,
    state         text NOT NULL,
    written_at    bigint NOT NULL,
    PRIMARY KEY (stream, name)
  );
  `,
  },
  {
    version: 7,
    description: 'appends in one database call',
    sql: appendGroupFunction(),
  },
  {
    version: 8,
    description: 'event tags and their index',
    // a nullable column without a default changes only the catalogue: no row is rewritten
    sql: `
  ALTER TABLE $schema.events ADD COLUMN tags text;
  CREATE TABLE $schema.event_tags (
    tag      text COLLATE "C" NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (tag, position)
  );
  ${positionsFunction('tag_positions', 'event_tags', 'tag', true)}
  DROP FUNCTION $schema.append_group(text[], text[], bigint[], integer[], uuid[], integer[], uuid[], text[], text[], text[], bigint, text);
  ${appendGroupWithTagsFunction()}
  `,
  },
  {
    version: 9,
    description: 'store identity, stream changes and copy state',
    // the new stream columns have no default or a constant one: only the catalogue changes, until the fill below
    sql: `
  CREATE TABLE $schema.store_identity (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    store_id   text NOT NULL,
    created_at bigint NOT NULL
  );
  INSERT INTO $schema.store_identity (store_id, created_at) VALUES (gen_random_uuid()::text, ${NOW_MS});

  CREATE TABLE $schema.copy_state (
    singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    source_id            text NOT NULL,
    source_location      text NOT NULL,
    role                 text NOT NULL CHECK (role IN ('mirror', 'promoted', 'restored')),
    position             bigint NOT NULL,
    change               bigint NOT NULL,
    source_head          bigint NOT NULL,
    promote_requested_at bigint,
    updated_at           bigint NOT NULL
  );

  ALTER TABLE $schema.streams
    ADD COLUMN changed bigint,
    ADD COLUMN changed_at bigint,
    ADD COLUMN scavenged_revision bigint NOT NULL DEFAULT 0,
    ADD COLUMN scavenged_recorded_at bigint NOT NULL DEFAULT 0,
    ADD COLUMN scavenged_until bigint NOT NULL DEFAULT 0;
  -- a copy of a store made before this version carries every stream's row, placed at the head
  UPDATE $schema.streams SET changed = stream_id, changed_at = (SELECT last_position FROM $schema.log_head);
  CREATE INDEX streams_by_change ON $schema.streams (changed) WHERE changed IS NOT NULL;
  -- handed out under the log_head lock, so change numbers commit in order with positions
  CREATE SEQUENCE $schema.stream_changes;
  SELECT setval('$schema.stream_changes', greatest(coalesce(max(stream_id), 0), 1), max(stream_id) IS NOT NULL) FROM $schema.streams;
  ${applyCopyFunction()}
  `,
  },
  {
    version: 10,
    description: 'what-if branches and their events, apart from the log',
    sql: `
  CREATE TABLE $schema.tributary_branches (
    name          text COLLATE "C" PRIMARY KEY,
    fork_position bigint NOT NULL,
    created_at    bigint NOT NULL,
    created_by    text,
    last_seq      bigint NOT NULL DEFAULT 0
  );
  -- a branch event's position in its branch is fork_position + seq
  CREATE TABLE $schema.tributary_branch_events (
    branch      text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    stream      text COLLATE "C" NOT NULL,
    category    text COLLATE "C" NOT NULL,
    revision    bigint NOT NULL,
    id          text NOT NULL,
    type        text COLLATE "C" NOT NULL,
    recorded_at bigint NOT NULL,
    metadata    text,
    data        text NOT NULL,
    tags        text,
    PRIMARY KEY (branch, seq)
  );
  CREATE UNIQUE INDEX tributary_branch_events_by_stream ON $schema.tributary_branch_events (branch, stream, revision);
  CREATE UNIQUE INDEX tributary_branch_events_by_id ON $schema.tributary_branch_events (branch, id);
  `,
  },
  {
    version: 11,
    description: 'as-of reads: a lookup of the position at a time, recorded times that never decrease',
    // functions only: no table or index changes, so appends pay one primary-key seek and nothing more
    sql: `
  ${positionAtFunction()}
  ${appendGroupWithTagsFunction(true)}
  `,
  },
  {
    version: 12,
    description: 'corrections and erasure: events by correlation id, per-subject keys, gateway recordings',
    sql: `
  -- jsonb refuses the escapes of NUL and lone surrogates, which metadata may hold: such metadata is read with them replaced
  -- (an escape is a backslash-u after an even run of backslashes: an escaped backslash followed by u is text)
  CREATE FUNCTION $schema.correlation_of_escaped(metadata text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $body$
  BEGIN
    RETURN (regexp_replace(metadata, '(?<!\\\\)((?:\\\\\\\\)*)\\\\u(0000|d[89a-f][0-9a-f]{2})', '\\1\\\\ufffd', 'gi')::jsonb) ->> 'correlationId';
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END $body$;

  -- partial: events without a correlation id cost no index write; history finds a correlation's events without a scan
  -- the lookup's query says it with the same correlationOf, so the planner matches it to the index
  CREATE INDEX events_by_correlation ON $schema.events ((${correlationOf('metadata')}), position)
    WHERE (${correlationOf('metadata')}) IS NOT NULL;

  -- the keys of crypto-shredded personal fields, never in the log: forgetting a subject clears its secret
  CREATE TABLE $schema.tributary_subject_keys (
    key_id       bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subject      text COLLATE "C" NOT NULL,
    secret       bytea,
    created_at   bigint NOT NULL,
    forgotten_at bigint
  );
  CREATE UNIQUE INDEX tributary_subject_keys_live ON $schema.tributary_subject_keys (subject) WHERE forgotten_at IS NULL;

  -- what the gateway answered or did on an event's first handling, per consumer or projection lineage
  CREATE TABLE $schema.tributary_gateway_recordings (
    owner       text COLLATE "C" NOT NULL,
    event_id    text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    kind        text NOT NULL,
    response    text,
    recorded_at bigint NOT NULL,
    PRIMARY KEY (owner, event_id, key)
  );
  `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * An event's correlation id as the `events_by_correlation` index holds it, for
 * the metadata column `column`: the plain cast when the text has no `\\u`
 * escape (nearly always), the escape-tolerant function otherwise.
 */
export function correlationOf(column: string): string {
  return `CASE WHEN strpos(${column}, '\\u') = 0 THEN (${column}::jsonb) ->> 'correlationId' ELSE $schema.correlation_of_escaped(${column}) END`;
}

/**
 * The positions of a page of the log for a list of keys of one index: each
 * key's first `page` positions in `(after, until]`, merged. Without statistics
 * the planner prefers a bitmap scan that reads every match and sorts them, so
 * the function turns bitmap scans off: the ordered index walk is the only plan
 * left. PL/pgSQL, so each connection plans it once; positions only, so the
 * caller fetches the events by primary key. `distinct` for an index where one
 * position can stand under several keys (an event's tags).
 */
function positionsFunction(name: string, table: string, key: string, distinct = false): string {
  return `
  CREATE FUNCTION $schema.${name}(keys text[], after bigint, until bigint, page integer)
  RETURNS bigint[] LANGUAGE plpgsql STABLE SET enable_bitmapscan = off AS $body$
  BEGIN
    RETURN ARRAY(
      SELECT ${distinct ? 'DISTINCT ' : ''}p.position FROM unnest(keys) AS k(key) CROSS JOIN LATERAL (
        SELECT x.position FROM $schema.${table} x WHERE x.${key} = k.key AND x.position > after AND x.position <= until
        ORDER BY x.${key}, x.position LIMIT page
      ) AS p ORDER BY p.position LIMIT page
    );
  END
  $body$;`;
}

/**
 * The start of every append_group function: take the lock, then compute each request's revision before it and
 * whether the group passes the checks the rules would otherwise make (no given id stored, no stream deleted,
 * every expected revision holding); a group that does not is left to the rules.
 */
function lockAndCheckGroup(): string {
  return `    SELECT h.last_position INTO head FROM $schema.log_head h FOR UPDATE;
    -- a request's revision before it: its stream's last, plus the events of the group's earlier requests to that stream
    SELECT array_agg(r.before ORDER BY r.ord),
           bool_and(coalesce(r.state, 0) = 0 AND CASE r.expected WHEN -1 THEN true WHEN -2 THEN r.before < 0
             WHEN -3 THEN r.before >= 0 ELSE r.before = r.expected END)
           AND NOT EXISTS (SELECT 1 FROM $schema.events x WHERE x.id = ANY(given_ids))
      INTO befores, clear
      FROM (
        SELECT q.ord, q.expected, s.state, coalesce(s.last_revision, -1)
                 + coalesce(sum(q.size) OVER (PARTITION BY q.name ORDER BY q.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM unnest(stream_names, expectations, sizes) WITH ORDINALITY AS q(name, expected, size, ord)
        LEFT JOIN $schema.streams s ON s.name = q.name
      ) AS r;
    IF NOT clear THEN
      RETURN NULL;
    END IF;
`;
}

/** The end of every append_group function: the count of inserted events checked, the notification, the answer. */
function finishGroup(): string {
  return `    SELECT count(*) INTO written FROM inserted;
    IF written <> cardinality(event_ids) THEN
      -- the streams changed between the checks and the insert: a bug, or another writer in the schema
      RAISE EXCEPTION 'an append group inserted % of its % events; it is rolled back', written, cardinality(event_ids);
    END IF;
    PERFORM pg_notify(channel, (head + written)::text);
    RETURN head || befores;
`;
}

/**
 * An append group in one call, for appends without inline hooks (postgres-append-call.ts).
 * It takes the log_head lock first, so each later statement reads with a snapshot taken after
 * the previous writer committed (a VOLATILE function takes one per statement), exactly as the
 * three-trip path does. It writes only when every request passes the checks that let the
 * rules of write-rules.ts accept it without looking further: no given id is stored, no stream
 * is deleted, every expected revision holds. Otherwise it writes nothing and returns NULL, and
 * the caller decides the group with those rules. Returns the head before the group, then each
 * request's revision before its first event. Expectations: -1 any, -2 no_stream, -3 stream_exists.
 */
function appendGroupFunction(): string {
  return `
  CREATE FUNCTION $schema.append_group(
    stream_names text[], stream_categories text[], expectations bigint[], sizes integer[], given_ids uuid[],
    event_requests integer[], event_ids uuid[], event_types text[], event_metadata text[], event_data text[],
    recorded bigint, channel text)
  RETURNS bigint[] LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $body$
  DECLARE
    head bigint;
    befores bigint[];
    clear boolean;
    written bigint;
  BEGIN
${lockAndCheckGroup()}    WITH e AS (
      SELECT head + e.ord AS position, e.request, e.id, e.type, e.metadata, e.data,
             befores[e.request] + row_number() OVER (PARTITION BY e.request ORDER BY e.ord) AS revision
      FROM unnest(event_requests, event_ids, event_types, event_metadata, event_data) WITH ORDINALITY
        AS e(request, id, type, metadata, data, ord)
    ), tips AS (
      SELECT stream_names[e.request] AS name, stream_categories[e.request] AS category, max(e.revision) AS revision, max(e.position) AS position
      FROM e GROUP BY 1, 2
    ), created AS (
      INSERT INTO $schema.streams (name, category, last_revision, last_position)
      SELECT t.name, t.category, t.revision, t.position FROM tips t
      WHERE NOT EXISTS (SELECT 1 FROM $schema.streams s WHERE s.name = t.name)
      RETURNING name, stream_id
    ), updated AS (
      UPDATE $schema.streams AS s SET last_revision = t.revision, last_position = t.position
      FROM tips t WHERE s.name = t.name
      RETURNING s.name, s.stream_id
    ), ids AS (
      SELECT c.name, c.stream_id FROM created c UNION ALL SELECT u.name, u.stream_id FROM updated u
    ), inserted AS (
      INSERT INTO $schema.events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data)
      SELECT e.position, ids.stream_id, e.revision, e.id, ids.name, e.type, recorded, e.metadata, e.data
      FROM e JOIN ids ON ids.name = stream_names[e.request]
      RETURNING 1
    ), categorized AS (
      INSERT INTO $schema.event_categories (category, position)
      SELECT stream_categories[e.request], e.position FROM e
    ), moved AS (
      UPDATE $schema.log_head SET last_position = head + cardinality(event_ids)
    )
${finishGroup()}  END
  $body$;`;
}

/**
 * The append_group of migration 7 with tags and conditions. Besides the checks of
 * migration 7 it writes only when no condition finds an event after its position
 * matching its query, checked after the lock like everything else. A condition is
 * `{"after", "categories", "items": [{"types", "tags"}]}` (JSON null for none), one per
 * request or a null array. Tags come per event as their JSON text (the events.tags
 * column) and flattened, each with its event's place in the group (event_tags rows).
 */
function appendGroupWithTagsFunction(monotone = false): string {
  return `
  CREATE ${monotone ? 'OR REPLACE ' : ''}FUNCTION $schema.append_group(
    stream_names text[], stream_categories text[], expectations bigint[], sizes integer[], given_ids uuid[],
    event_requests integer[], event_ids uuid[], event_types text[], event_metadata text[], event_data text[],
    event_tag_lists text[], tag_names text[], tag_events integer[], conditions jsonb,
    recorded bigint, channel text)
  RETURNS bigint[] LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $body$
  DECLARE
    head bigint;
    befores bigint[];
    clear boolean;
    written bigint;
  BEGIN
${lockAndCheckGroup()}${monotone ? monotoneRecorded() : ''}    -- a condition that finds an event is decided by the caller's rules, which name the conflicting positions.
    -- One statement for every condition of the group; each index walk sits behind LIMIT 1 in a LATERAL
    -- subquery, which the planner cannot turn into a hash join over the whole log, and its per-entry
    -- tests are scalar subqueries, which it cannot hash either.
    IF conditions IS NOT NULL AND EXISTS (
      SELECT 1
      FROM jsonb_array_elements(conditions) AS c(cond)
      CROSS JOIN LATERAL jsonb_array_elements(c.cond->'items') AS i(item)
      CROSS JOIN LATERAL (
        SELECT 1 FROM $schema.event_tags g
        WHERE g.tag = i.item->'tags'->>0 AND g.position > (c.cond->>'after')::bigint
          AND (SELECT count(*) FROM $schema.event_tags h
               WHERE h.tag IN (SELECT jsonb_array_elements_text(i.item->'tags')) AND h.position = g.position) = jsonb_array_length(i.item->'tags')
          AND (SELECT (coalesce(jsonb_typeof(i.item->'types'), 'null') <> 'array' OR i.item->'types' ? e.type)
                  AND (coalesce(jsonb_typeof(c.cond->'categories'), 'null') <> 'array' OR c.cond->'categories' ? split_part(e.stream, '-', 1))
               FROM $schema.events e WHERE e.position = g.position)
        LIMIT 1
      ) AS hit
      WHERE jsonb_typeof(c.cond) = 'object' AND jsonb_typeof(i.item->'tags') = 'array'
      UNION ALL
      SELECT 1
      FROM jsonb_array_elements(conditions) AS c(cond)
      CROSS JOIN LATERAL jsonb_array_elements(c.cond->'items') AS i(item)
      CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(i.item->'tags') = 'array' THEN '[]'::jsonb ELSE i.item->'types' END) AS t(type)
      CROSS JOIN LATERAL (
        SELECT 1 FROM $schema.events x
        WHERE x.type = t.type AND x.position > (c.cond->>'after')::bigint
          AND (coalesce(jsonb_typeof(c.cond->'categories'), 'null') <> 'array' OR c.cond->'categories' ? split_part(x.stream, '-', 1))
        LIMIT 1
      ) AS hit
      WHERE jsonb_typeof(c.cond) = 'object'
    ) THEN
      RETURN NULL;
    END IF;
    WITH e AS (
      SELECT head + e.ord AS position, e.request, e.id, e.type, e.metadata, e.data, e.tags,
             befores[e.request] + row_number() OVER (PARTITION BY e.request ORDER BY e.ord) AS revision
      FROM unnest(event_requests, event_ids, event_types, event_metadata, event_data, event_tag_lists) WITH ORDINALITY
        AS e(request, id, type, metadata, data, tags, ord)
    ), tips AS (
      SELECT stream_names[e.request] AS name, stream_categories[e.request] AS category, max(e.revision) AS revision, max(e.position) AS position
      FROM e GROUP BY 1, 2
    ), created AS (
      INSERT INTO $schema.streams (name, category, last_revision, last_position)
      SELECT t.name, t.category, t.revision, t.position FROM tips t
      WHERE NOT EXISTS (SELECT 1 FROM $schema.streams s WHERE s.name = t.name)
      RETURNING name, stream_id
    ), updated AS (
      UPDATE $schema.streams AS s SET last_revision = t.revision, last_position = t.position
      FROM tips t WHERE s.name = t.name
      RETURNING s.name, s.stream_id
    ), ids AS (
      SELECT c.name, c.stream_id FROM created c UNION ALL SELECT u.name, u.stream_id FROM updated u
    ), inserted AS (
      INSERT INTO $schema.events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data, tags)
      SELECT e.position, ids.stream_id, e.revision, e.id, ids.name, e.type, recorded, e.metadata, e.data, e.tags
      FROM e JOIN ids ON ids.name = stream_names[e.request]
      RETURNING 1
    ), categorized AS (
      INSERT INTO $schema.event_categories (category, position)
      SELECT stream_categories[e.request], e.position FROM e
    ), tagged AS (
      INSERT INTO $schema.event_tags (tag, position)
      SELECT t.tag, head + t.event FROM unnest(tag_names, tag_events) AS t(tag, event)
    ), moved AS (
      UPDATE $schema.log_head SET last_position = head + cardinality(event_ids)
    )
${finishGroup()}  END
  $body$;`;
}

/**
 * Migration 11's line of append_group: under the log_head lock, the group's
 * time is the caller's clock but never before the log's last event (greatest
 * ignores the NULL of an empty log), so recorded times never decrease with
 * position whichever process or machine appends.
 */
function monotoneRecorded(): string {
  return `    recorded := greatest(recorded, (SELECT x.recorded_at FROM $schema.events x ORDER BY x.position DESC LIMIT 1));
`;
}

/**
 * positionAt in one call: the last position recorded at or before `at` (ms
 * since the epoch), 0 when none is that old. A binary search over positions,
 * each step one primary-key seek, about log2(head) of them inside the server:
 * recorded times never decrease with position, so no index on recorded_at is
 * needed and appends pay nothing for it. Gaps left by scavenging are stepped
 * over by the seek (the first event at or after the middle). STRICT: a NULL
 * time answers NULL without searching.
 */
function positionAtFunction(): string {
  return `
  CREATE FUNCTION $schema.position_at(at bigint)
  RETURNS bigint LANGUAGE plpgsql STABLE STRICT AS $body$
  DECLARE
    known bigint := 0;
    above bigint;
    middle bigint;
    probe_position bigint;
    probe_recorded bigint;
  BEGIN
    -- invariant: every event at or below known was recorded at or before at; none from above on was
    SELECT h.last_position + 1 INTO above FROM $schema.log_head h;
    WHILE above - known > 1 LOOP
      middle := known + (above - known) / 2;
      SELECT e.position, e.recorded_at INTO probe_position, probe_recorded
        FROM $schema.events e WHERE e.position >= middle ORDER BY e.position LIMIT 1;
      IF NOT FOUND OR probe_position >= above OR probe_recorded > at THEN
        above := middle;
      ELSE
        known := probe_position;
      END IF;
    END LOOP;
    RETURN known;
  END
  $body$;`;
}

/**
 * A batch of an exact copy in one call that commits on its own
 * (postgres-copy.ts): like append_group it takes the log_head lock first, so
 * it serialises with every writer. It checks that the copy stands at
 * `from_position`/`from_change` and otherwise writes nothing and returns the
 * checkpoint it found (an empty array when the store is no copy); on success
 * it returns NULL. It writes, in this order: each changed stream's row as of
 * its last change in the batch (every column, the change number included, so
 * a copy can itself be copied); a row for each stream the events create; the
 * events at their own positions with their index rows; the stream tips of the
 * events after each stream's last change; the removals of the scavenges the
 * changes record; the head, up to the source's but not past the checkpoint;
 * the change counter; the copy's checkpoint. The
 * floors of successive scavenges only rise, so the last change of a stream
 * removes everything its earlier ones did. A position or id already stored
 * fails the call with unique_violation, and nothing is written.
 */
function applyCopyFunction(): string {
  const change = `jsonb_to_recordset(batch_changes) AS c(
        name text, category text, "lastRevision" bigint, "lastPosition" bigint, state smallint, "deletedBefore" bigint,
        "truncateBefore" bigint, "maxCount" bigint, "maxAge" bigint, "customMetadata" text, changed bigint, "changedAt" bigint,
        "scavengedRevision" bigint, "scavengedRecordedAt" bigint, "scavengedUntil" bigint)`;
  return `
  CREATE FUNCTION $schema.apply_copy(
    from_position bigint, from_change bigint, batch_streams text[], batch_categories text[],
    batch_positions bigint[], batch_ids uuid[], batch_event_streams text[], batch_revisions bigint[], batch_types text[],
    batch_recorded bigint[], batch_metadata text[], batch_data bytea, batch_data_ends integer[], batch_tags text[], batch_changes jsonb,
    to_position bigint, to_change bigint, to_head bigint, to_source_head bigint, written_at bigint, channel text)
  RETURNS bigint[] LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $body$
  DECLARE
    found_position bigint;
    found_change bigint;
    found_role text;
    written bigint;
    moved_head bigint;
  BEGIN
    PERFORM 1 FROM $schema.log_head FOR UPDATE;
    SELECT s.position, s.change, s.role INTO found_position, found_change, found_role FROM $schema.copy_state s;
    IF NOT FOUND THEN
      RETURN ARRAY[]::bigint[];
    END IF;
    -- a promoted copy is a store of its own: a mirror left running must not write into it
    IF found_role = 'promoted' THEN
      RETURN ARRAY[found_position, found_change, 0];
    END IF;
    IF found_position <> from_position OR found_change <> from_change THEN
      RETURN ARRAY[found_position, found_change];
    END IF;
    IF batch_changes IS NOT NULL THEN
      INSERT INTO $schema.streams AS s (name, category, last_revision, last_position, state, deleted_before, truncate_before,
        max_count, max_age, custom_metadata, changed, changed_at, scavenged_revision, scavenged_recorded_at, scavenged_until)
      SELECT DISTINCT ON (c.name) c.name, c.category, c."lastRevision", c."lastPosition", c.state, c."deletedBefore", c."truncateBefore",
        c."maxCount", c."maxAge", c."customMetadata", c.changed, c."changedAt", c."scavengedRevision", c."scavengedRecordedAt", c."scavengedUntil"
      FROM ${change}
      ORDER BY c.name, c.changed DESC
      ON CONFLICT (name) DO UPDATE SET category = excluded.category, last_revision = excluded.last_revision,
        last_position = excluded.last_position, state = excluded.state, deleted_before = excluded.deleted_before,
        truncate_before = excluded.truncate_before, max_count = excluded.max_count, max_age = excluded.max_age,
        custom_metadata = excluded.custom_metadata, changed = excluded.changed, changed_at = excluded.changed_at,
        scavenged_revision = excluded.scavenged_revision, scavenged_recorded_at = excluded.scavenged_recorded_at,
        scavenged_until = excluded.scavenged_until;
    END IF;
    INSERT INTO $schema.streams (name, category)
    SELECT n.name, n.category FROM unnest(batch_streams, batch_categories) AS n(name, category)
    WHERE NOT EXISTS (SELECT 1 FROM $schema.streams s WHERE s.name = n.name);
    WITH ids AS (
      SELECT s.name, s.stream_id FROM $schema.streams s WHERE s.name = ANY(batch_streams)
    )
    INSERT INTO $schema.events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data, tags)
    SELECT e.position, ids.stream_id, e.revision, e.id, e.stream, e.type, e.recorded_at, e.metadata,
           convert_from(substring(batch_data FROM coalesce(e.previous_end, 0) + 1 FOR e.data_end - coalesce(e.previous_end, 0)), 'UTF8'), e.tags
    FROM (
      SELECT u.*, lag(u.data_end) OVER (ORDER BY u.ord) AS previous_end
      FROM unnest(batch_positions, batch_ids, batch_event_streams, batch_revisions, batch_types, batch_recorded, batch_metadata, batch_data_ends, batch_tags)
        WITH ORDINALITY AS u(position, id, stream, revision, type, recorded_at, metadata, data_end, tags, ord)
    ) AS e
    JOIN ids ON ids.name = e.stream;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written <> cardinality(batch_positions) THEN
      RAISE EXCEPTION 'a copy batch inserted % of its % events; it is rolled back', written, cardinality(batch_positions);
    END IF;
    INSERT INTO $schema.event_categories (category, position)
    SELECT n.category, e.position
    FROM unnest(batch_positions, batch_event_streams) AS e(position, stream) JOIN unnest(batch_streams, batch_categories) AS n(name, category) ON n.name = e.stream;
    INSERT INTO $schema.event_tags (tag, position)
    SELECT j.tag, e.position FROM unnest(batch_positions, batch_tags) AS e(position, tags)
    CROSS JOIN LATERAL json_array_elements_text(e.tags::json) AS j(tag)
    WHERE e.tags IS NOT NULL;
    -- an append after a stream's last change moves its row on, and makes a soft-deleted stream live (never a tombstoned one)
    UPDATE $schema.streams AS s
    SET last_revision = greatest(s.last_revision, t.revision), last_position = greatest(s.last_position, t.position),
        state = CASE WHEN s.state = 1 THEN 0 ELSE s.state END
    FROM (
      SELECT e.stream, max(e.revision) AS revision, max(e.position) AS position
      FROM unnest(batch_event_streams, batch_revisions, batch_positions) AS e(stream, revision, position)
      GROUP BY e.stream
    ) AS t
    WHERE s.name = t.stream AND t.position > coalesce(s.changed_at, 0);
    IF batch_changes IS NOT NULL THEN
      WITH gone AS (
        DELETE FROM $schema.events e USING $schema.streams s
        WHERE s.name IN (SELECT c.name FROM ${change}) AND s.scavenged_until > 0 AND e.stream_id = s.stream_id
          AND e.position <= s.scavenged_until AND (e.revision < s.scavenged_revision OR e.recorded_at < s.scavenged_recorded_at)
        RETURNING e.position, e.tags, s.category
      ), unindexed AS (
        DELETE FROM $schema.event_categories x USING gone WHERE x.category = gone.category AND x.position = gone.position
      )
      DELETE FROM $schema.event_tags x
      USING (SELECT gone.position, j.tag FROM gone CROSS JOIN LATERAL json_array_elements_text(gone.tags::json) AS j(tag)
             WHERE gone.tags IS NOT NULL) AS t
      WHERE x.tag = t.tag AND x.position = t.position;
    END IF;
    -- no further than the checkpoint: a head with copied events still to come below it would let the copy's readers pass them by
    UPDATE $schema.log_head SET last_position = greatest(last_position, least(to_head, to_position)) RETURNING last_position INTO moved_head;
    -- the store's own changes, after a promote, are numbered after the copied ones
    IF to_change > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM $schema.stream_changes) THEN
      PERFORM setval('$schema.stream_changes', to_change);
    END IF;
    UPDATE $schema.copy_state SET position = to_position, change = to_change, source_head = to_source_head, updated_at = written_at;
    PERFORM pg_notify(channel, moved_head::text);
    RETURN NULL;
  END
  $body$;`;
}

/**
 * Brings the schema up to date. The version is read first, without locks, so
 * an up-to-date database costs one query and no DDL (even `IF NOT EXISTS` DDL
 * would queue behind in-flight appends). Processes that start at once
 * serialise on an advisory lock and read the version again under it.
 */
export async function migrate(pool: Pool, schema: string, report: MigrationProgress = stderrProgress): Promise<void> {
  const sqlSchema = schemaIdentifier(schema);
  if ((await currentVersion(pool, sqlSchema)) === SCHEMA_VERSION) return;
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tributary:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${sqlSchema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${sqlSchema}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const found = await versionIn(client, sqlSchema);
    if (found > SCHEMA_VERSION) {
      throw new TributaryError('SCHEMA_TOO_NEW', `schema ${schema} has version ${found}; this Tributary knows up to ${SCHEMA_VERSION}`, {
        found,
        supported: SCHEMA_VERSION,
      });
    }
    for (const migration of MIGRATIONS.slice(found)) {
      await client.query(migration.sql.replaceAll('$schema', sqlSchema));
      await migration.fill?.(client, sqlSchema, report);
      await client.query(`INSERT INTO ${sqlSchema}.migrations (version) VALUES ($1)`, [migration.version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

async function currentVersion(pool: Pool, schema: string): Promise<number> {
  try {
    return await versionIn(pool, schema);
  } catch (error) {
    // undefined_table / invalid_schema_name: nothing was migrated yet
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000') return 0;
    throw error;
  }
}

async function versionIn(queryable: Pick<Pool, 'query'>, schema: string): Promise<number> {
  const result = await queryable.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${schema}.migrations`);
  return result.rows[0]?.version ?? 0;
}
