/** JSON schemas of the `/copy/…` routes: the shapes of src/store/log-copy.ts as they travel over HTTP. */

const count = { type: 'integer', minimum: 0 } as const;
const countOrNull = { type: ['integer', 'null'], minimum: 0 } as const;

export const copyHeadSchema = {
  type: 'object',
  required: ['storeId', 'head', 'lastChange'],
  properties: {
    storeId: { type: 'string', description: "the store's id, made once with its schema and never copied" },
    head: { ...count, description: 'the last position the store handed out, scavenged or not' },
    lastChange: { ...count, description: "the store's last stream change number, 0 when none" },
  },
} as const;

export const eventRowSchema = {
  type: 'array',
  minItems: 9,
  maxItems: 9,
  description:
    '[position, id, stream, revision, type, recordedAt (ms), metadata, data, tags]: metadata and tags are JSON text or null, data is JSON text, all as stored',
  items: { type: ['integer', 'string', 'null'] },
} as const;

export const copiedStreamSchema = {
  type: 'object',
  required: [
    'name',
    'category',
    'lastRevision',
    'lastPosition',
    'state',
    'deletedBefore',
    'truncateBefore',
    'maxCount',
    'maxAge',
    'customMetadata',
    'changed',
    'changedAt',
    'scavengedRevision',
    'scavengedRecordedAt',
    'scavengedUntil',
  ],
  properties: {
    name: { type: 'string' },
    category: { type: 'string' },
    lastRevision: { type: 'integer', minimum: -1 },
    lastPosition: count,
    state: { type: 'integer', enum: [0, 1, 2], description: '0 live, 1 soft-deleted, 2 tombstoned' },
    deletedBefore: count,
    truncateBefore: countOrNull,
    maxCount: countOrNull,
    maxAge: countOrNull,
    customMetadata: { type: ['string', 'null'], description: 'the custom metadata as its stored JSON text' },
    changed: { ...count, description: 'the store-wide number of the stream’s last change other than an append' },
    changedAt: { ...count, description: 'the head when that change was made: a copy applies the row after the events up to there' },
    scavengedRevision: count,
    scavengedRecordedAt: count,
    scavengedUntil: count,
  },
} as const;

export const copiedTableSchema = {
  type: 'object',
  required: ['table', 'columns', 'rows'],
  properties: {
    table: { type: 'string' },
    columns: { type: 'array', items: { type: 'string' } },
    rows: { type: 'array', items: { type: 'array', items: { type: ['number', 'string', 'null'] } }, description: 'values in the order of columns' },
  },
} as const;

export const copyStateSchema = {
  type: 'object',
  required: ['sourceId', 'sourceLocation', 'role', 'checkpoint', 'sourceHead', 'promoteRequestedAt', 'updatedAt'],
  properties: {
    sourceId: { type: 'string' },
    sourceLocation: { type: 'string', description: 'where the source was, without credentials' },
    role: { type: 'string', enum: ['mirror', 'promoted', 'restored'] },
    checkpoint: {
      type: 'object',
      required: ['position', 'change'],
      properties: { position: count, change: count },
      description: 'every event up to position and every stream change up to change are in the copy',
    },
    sourceHead: { ...count, description: "the source's head when the copy last looked; the lag is sourceHead - checkpoint.position" },
    promoteRequestedAt: { ...countOrNull, description: 'ms' },
    updatedAt: { ...count, description: 'when the copy last wrote (ms)' },
  },
} as const;
