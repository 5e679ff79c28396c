/**
 * `tributary`: everything that needs no database driver, DuckDB or fastify —
 * the event model and errors, `openStore`, subscriptions and consumers, command
 * handling, and projections. Importing it loads none of them; each loads when
 * first used. The subpaths `tributary/sqlite`, `/postgres`, `/lake`, `/server`
 * and `/testing` hold what belongs to one backend, the lake, the HTTP API and tests.
 */
export * from './core/errors.js';
export * from './core/event.js';
export { newEventId, isEventId } from './core/event-id.js';
export { causedBy } from './core/causation.js';
export { assertStreamName, categoryOf, MAX_STREAM_NAME_LENGTH } from './core/stream-name.js';
export { MAX_JSON_DEPTH } from './core/json-depth.js';
export { assertExpectedRevision, parseExpectedRevision, type ExpectedRevision } from './core/expected-revision.js';
export type * from './store/event-store.js';
export type { AsOf } from './core/as-of.js';
export * from './store/schema-registry.js';
export { withSchemas } from './schemas/schema-store.js';
export { withBranches } from './time/branches/with-branches.js';
export { withPrivacy } from './privacy/privacy-store.js';
export { FORGOTTEN, WITHHELD, UNREADABLE, type Envelope, type PersonalMarker } from './privacy/envelope.js';
export { KEY_FRESH_MS, KEY_REREAD_MS } from './privacy/key-cache.js';
export { DECLARATIONS_FRESH_MS, PRIVACY_CATEGORY } from './privacy/declarations.js';
export type * from './store/personal-data.js';
export type { SubjectKey, SubjectKeys } from './store/subject-keys.js';
export { BRANCH_NAME, assertBranchName, type BranchInfo, type Branches, type CreateBranchOptions } from './store/branches.js';
export { MAX_QUERY_ITEMS, type AppendCondition, type EventQuery, type QueryItem } from './core/event-query.js';
export { MAX_APPEND_EVENTS, MAX_APPEND_STREAMS, type AppendManyResult, type StreamAppend } from './core/stream-appends.js';
export { MAX_TAG_LENGTH, MAX_TAGS_PER_EVENT } from './core/tags.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './store/options.js';
// a backend loads with the first store opened on it; `tributary/sqlite` and `tributary/postgres` open one directly
export { openStore } from './open/open-store.js';
export { DEFAULT_DATABASE, type OpenStoreOptions } from './backends/open-store.js';
export type { SqliteEventStore } from './backends/sqlite/sqlite-store.js';
export type { SqliteStoreConfig } from './backends/sqlite/sqlite-config.js';
export type { PostgresEventStore } from './backends/postgres/postgres-store.js';
export type { PostgresStoreConfig } from './backends/postgres/postgres-config.js';
export type * from './store/consumer-store.js';
export type { SqlAccess, InlineHook, LogReader } from './store/sql-access.js';
export type { TokenStore, NewToken, TokenRecord } from './store/token-store.js';
export type * from './store/sql-dialect.js';
export * from './subscriptions/log-subscription.js';
export * from './subscriptions/consumer.js';
export type * from './subscriptions/consumer-options.js';
export type { RetryPolicy } from './subscriptions/retry.js';
export * from './subscriptions/parked.js';
export * from './subscriptions/status.js';
export { partitionOfStream } from './subscriptions/partitions.js';
export * from './command/decider.js';
export * from './command/query-decider.js';
export type { SnapshotPolicy } from './command/snapshot-policy.js';
export { MAX_SNAPSHOT_NAME_LENGTH, type Snapshot, type SnapshotStore } from './store/snapshot-store.js';
export { given } from './testing/decider-spec.js';
export * from './projections/index.js';
export * from './catalog/index.js';
export { APPENDED_BY_KEY } from './core/appended-by.js';
export type { Categories } from './store/filter-categories.js';
export { mirrorLog, type MirrorOptions, type MirrorProgress, type MirrorResult } from './mirror/mirror-log.js';
export { promoteMirror, type PromoteOptions, type PromoteResult } from './mirror/promote.js';
export type * from './store/log-copy.js';
export type { EventRow } from './store/sql-rows.js';
export { generateSchemaTypes, type SchemaTypesOptions } from './schemas/schema-types.js';
export { backupStore, type BackupOptions, type BackupProgress, type BackupSummary } from './backup/backup-store.js';
export { replayProjection, type ReplayOptions, type ReplayProgress, type ReplayResult } from './time/replay.js';
export { currentReplay, type ReplayInfo } from './time/replay-context.js';
export { gateway, gatewayWith, type Gateway, type EffectOptions, type GatewayOptions, type QueryOptions, type SkippedEffect } from './time/gateway/gateway.js';
export { MAX_GATEWAY_KEY_LENGTH } from './time/gateway/gateway-inputs.js';
export type { ReplayMode } from './subscriptions/handling.js';
export { recordingsOf, type GatewayRecording, type GatewayRecordings } from './store/gateway-recordings.js';
export { removeConsumer } from './subscriptions/remove-consumer.js';
export type { ReplayableProjection, DeclaredFile } from './time/replayable.js';
export { diffProjection } from './time/diff.js';
export type * from './time/diff-types.js';
export { diffSources, type DiffSourcesOptions } from './time/diff-sources.js';
export type { Scratch, OpenScratch } from './time/scratch.js';
export { diffBranches } from './open/diff-branches.js';
export { openScratchStore } from './open/scratch-store.js';
export { restoreBackup, type RestoreOptions, type RestoreProgress, type RestoreSummary, type RestoreTarget } from './backup/restore-backup.js';
export { verifyBackup } from './backup/backup-reader.js';
export type { BackupContents, BackupHeader, BackupTrailer } from './backup/backup-format.js';
export type { EventLookup, CorrelatedOptions } from './store/event-lookup.js';
export { MAX_REASON_LENGTH } from './store/audit.js';
export { reverse, type ReverseOptions, type ReverseResult, type ReversalData } from './time/corrections/reverse.js';
export { findEvent } from './time/corrections/find-event.js';
export { history, DEFAULT_HISTORY_LIMIT, type History, type HistoryEntry, type HistoryKind, type HistoryOptions } from './time/corrections/history.js';
export type { HistoryMatch } from './time/corrections/history-sources.js';
export { redact, type RedactOptions, type RedactOutcome } from './time/corrections/redact.js';
export { isRedactionMarker, type AuthorizeRedaction, type RedactionCandidate, type EventRedactedData, type RedactedEvent, type Redaction, type RedactionMarker } from './store/redaction.js';
