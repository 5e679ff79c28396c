import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { findDocuments } from '../../src/projections/reading/queries.js';
import { listProjections } from '../../src/projections/lifecycle/registry.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { withSchemas } from '../../src/schemas/schema-store.js';
import { withBranches } from '../../src/time/branches/with-branches.js';
import type { EventStore } from '../../src/store/event-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { backends, database, type SqlBackendName } from '../support/backends.js';
import { ADMIN_URL } from '../support/postgres.js';
import { OpenApiContract } from './openapi.js';
import { listening } from './support.js';

/**
 * Every route of /openapi.json, tried with six tokens against a store holding
 * `order` and `payment` events, consumers over each, and a projection over
 * `payment`: each answer is the one the table below documents, and a token
 * without payment scope sees nothing of payment and changes nothing of it.
 */

const TOKENS = ['none', 'revoked', 'read:order', 'write:order', 'write:payment', 'admin'] as const;
type TokenName = (typeof TOKENS)[number];
const PAYMENT_BLIND = new Set<TokenName>(['none', 'revoked', 'read:order', 'write:order']);

// expected statuses, in the order of TOKENS
const ANY_TOKEN = [401, 401, 200, 200, 200, 200];
const READS_PAYMENT = [401, 401, 403, 403, 200, 200];
const READS_ORDER = [401, 401, 200, 200, 403, 200];
const CHANGES_PAYMENT = [401, 401, 403, 403, 200, 200];
const CHANGES_PAYMENT_204 = [401, 401, 403, 403, 204, 204];
const ADMIN_ONLY = [401, 401, 403, 403, 403, 200];
const REFUSED_TO_ALL = [401, 401, 409, 409, 409, 409];

interface Case {
  /** The operation as /openapi.json names it. */
  route: string;
  url: string;
  body?: unknown;
  /** A server-sent-events route: read its first messages, then hang up. */
  sse?: boolean;
  expected: readonly number[];
}

const append = { events: [{ type: 'Paid', data: { amount: 1 } }] };
const PAID_V1 = { type: 'object', properties: { amount: { type: 'number' } }, additionalProperties: false };
const PAID_V2 = { type: 'object', properties: { amount: { type: 'number' }, currency: { type: 'string' } }, additionalProperties: false };
const paidCondition = { failIfEventsMatch: [{ types: ['Paid'] }] };
const feed = '/consumers/pay-feed';
// one event of each category under one correlation id, with ids the cases can name
const PAY_EVENT = '00000000-0000-4000-8000-0000000000a1';
const ORDER_EVENT = '00000000-0000-4000-8000-0000000000a2';
const projectionConsumer = '/consumers/projection:paydocs:g1';

const CASES: Case[] = [
  { route: 'POST /streams/{stream}', url: '/streams/payment-9', body: append, expected: [401, 401, 403, 403, 201, 201] },
  { route: 'POST /streams/{stream}', url: '/streams/order-9', body: append, expected: [401, 401, 403, 201, 403, 201] },
  { route: 'POST /streams', url: '/streams', body: { appends: [{ stream: 'payment-9', ...append }] }, expected: [401, 401, 403, 403, 201, 201] },
  // one stream the token may not write refuses the whole call
  { route: 'POST /streams', url: '/streams', body: { appends: [{ stream: 'order-9', ...append }, { stream: 'payment-9', ...append }] }, expected: [401, 401, 403, 403, 403, 201] },
  // a condition counts only the events the token may read: payment's Paid events fail it for admin alone
  { route: 'POST /streams/{stream}', url: '/streams/order-9', body: { ...append, condition: paidCondition }, expected: [401, 401, 403, 201, 403, 409] },
  { route: 'POST /streams', url: '/streams', body: { appends: [{ stream: 'order-9', ...append }], condition: paidCondition }, expected: [401, 401, 403, 201, 403, 409] },
  { route: 'POST /streams/{stream}', url: '/streams/order-9', body: { ...append, condition: { ...paidCondition, categories: ['payment'] } }, expected: [401, 401, 403, 403, 403, 409] },
  { route: 'GET /streams/{stream}', url: '/streams/payment-1', expected: READS_PAYMENT },
  { route: 'GET /streams/{stream}', url: '/streams/order-1', expected: READS_ORDER },
  { route: 'GET /streams/{stream}/info', url: '/streams/payment-1/info', expected: READS_PAYMENT },
  { route: 'GET /streams/{stream}/metadata', url: '/streams/payment-1/metadata', expected: READS_PAYMENT },
  { route: 'PUT /streams/{stream}/metadata', url: '/streams/payment-1/metadata', body: { maxCount: 5 }, expected: CHANGES_PAYMENT_204 },
  { route: 'DELETE /streams/{stream}', url: '/streams/payment-1', expected: CHANGES_PAYMENT_204 },
  // a token that may not read payment is answered as if the event did not exist
  { route: 'POST /events/{id}/redact', url: `/events/${PAY_EVENT}/redact`, body: { reason: 'leak' }, expected: [401, 401, 404, 404, 200, 200] },
  { route: 'POST /events/{id}/redact', url: `/events/${ORDER_EVENT}/redact`, body: { reason: 'leak' }, expected: [401, 401, 403, 200, 404, 200] },
  { route: 'GET /streams', url: '/streams', expected: ADMIN_ONLY },
  { route: 'GET /streams', url: '/streams?category=order', expected: READS_ORDER },
  { route: 'GET /categories', url: '/categories', expected: ADMIN_ONLY },
  { route: 'GET /head', url: '/head', expected: ANY_TOKEN },
  { route: 'GET /positions', url: '/positions?at=2026-03-01T00:00:00Z', expected: ANY_TOKEN },
  { route: 'POST /admin/scavenge', url: '/admin/scavenge', expected: ADMIN_ONLY },
  { route: 'GET /all', url: '/all?after=0', expected: ANY_TOKEN },
  { route: 'GET /all', url: '/all?category=payment', expected: READS_PAYMENT },
  { route: 'GET /all', url: '/all?tag=customer:7', expected: ANY_TOKEN },
  { route: 'GET /all', url: '/all?tag=customer:7&category=payment', expected: READS_PAYMENT },
  { route: 'POST /all/query', url: '/all/query', body: { query: [{ tags: ['customer:7'] }, { types: ['Paid'] }] }, expected: ANY_TOKEN },
  { route: 'POST /all/query', url: '/all/query', body: { query: [{ types: ['Paid'] }], categories: ['payment'] }, expected: READS_PAYMENT },
  { route: 'GET /all/subscribe', url: '/all/subscribe?after=0&tag=customer:7', sse: true, expected: ANY_TOKEN },
  { route: 'GET /all/subscribe', url: '/all/subscribe?after=0', sse: true, expected: ANY_TOKEN },
  { route: 'GET /all/subscribe', url: '/all/subscribe?after=0&category=payment', sse: true, expected: READS_PAYMENT },
  { route: 'GET /streams/{stream}/subscribe', url: '/streams/payment-1/subscribe?after=0', sse: true, expected: READS_PAYMENT },
  { route: 'GET /consumers', url: '/consumers', expected: ANY_TOKEN },
  { route: 'GET /consumers/{name}', url: feed, expected: READS_PAYMENT },
  { route: 'GET /consumers/{name}', url: projectionConsumer, expected: READS_PAYMENT },
  { route: 'GET /consumers/{name}/parked', url: `${feed}/parked`, expected: READS_PAYMENT },
  { route: 'POST /consumers/{name}/parked/replay', url: `${feed}/parked/replay`, body: {}, expected: CHANGES_PAYMENT },
  { route: 'POST /consumers/{name}/parked/replay', url: `${projectionConsumer}/parked/replay`, body: {}, expected: ADMIN_ONLY },
  { route: 'POST /consumers/{name}/parked/purge', url: `${feed}/parked/purge`, body: {}, expected: CHANGES_PAYMENT },
  { route: 'POST /consumers/{name}/parked/purge', url: `${projectionConsumer}/parked/purge`, body: {}, expected: ADMIN_ONLY },
  { route: 'PUT /consumers/{name}', url: '/consumers/newc', body: { partitions: 1, startAt: 0, filter: { categories: ['payment'] } }, expected: CHANGES_PAYMENT },
  // a consumer keeps its filter: asking for another is refused, never a change
  { route: 'PUT /consumers/{name}', url: feed, body: { partitions: 1, startAt: 0, filter: { categories: ['order'] } }, expected: [401, 401, 403, 403, 403, 409] },
  { route: 'PUT /consumers/{name}', url: projectionConsumer, body: { partitions: 1, startAt: 0, filter: { categories: ['payment'] } }, expected: REFUSED_TO_ALL },
  { route: 'GET /consumers/{name}/record', url: `${feed}/record`, expected: READS_PAYMENT },
  { route: 'GET /consumer-records', url: '/consumer-records', expected: ANY_TOKEN },
  { route: 'DELETE /consumers/{name}', url: feed, expected: CHANGES_PAYMENT },
  { route: 'DELETE /consumers/{name}', url: projectionConsumer, expected: REFUSED_TO_ALL },
  { route: 'POST /consumers/{name}/checkpoints', url: `${feed}/checkpoints`, body: { checkpoints: [{ partition: 0, position: 2 }] }, expected: CHANGES_PAYMENT },
  { route: 'POST /consumers/{name}/checkpoints', url: `${feed}/checkpoints`, body: { checkpoints: [{ partition: 0, position: 1_000_000 }] }, expected: [401, 401, 403, 403, 400, 400] },
  { route: 'POST /consumers/{name}/checkpoints', url: `${projectionConsumer}/checkpoints`, body: { checkpoints: [{ partition: 0, position: 1 }] }, expected: ADMIN_ONLY },
  { route: 'POST /consumers/{name}/members/{member}/heartbeat', url: `${feed}/members/m1/heartbeat`, body: { state: 'live', position: 0, leaseMs: 1000 }, expected: CHANGES_PAYMENT },
  { route: 'POST /consumers/{name}/members/{member}/claim', url: `${feed}/members/m1/claim`, body: { partitions: [0] }, expected: CHANGES_PAYMENT },
  { route: 'POST /consumers/{name}/members/{member}/release', url: `${feed}/members/m1/release`, body: {}, expected: CHANGES_PAYMENT_204 },
  { route: 'DELETE /consumers/{name}/members/{member}', url: `${feed}/members/m1`, expected: CHANGES_PAYMENT_204 },
  { route: 'PUT /consumers/{name}/fault', url: `${feed}/fault`, body: { fault: 'down' }, expected: CHANGES_PAYMENT_204 },
  {
    route: 'POST /consumers/{name}/parked',
    url: `${feed}/parked`,
    body: { position: 3, eventId: '00000000-0000-4000-8000-000000000003', stream: 'payment-2', type: 'Paid', error: 'boom', attempts: 1 },
    expected: CHANGES_PAYMENT_204,
  },
  { route: 'GET /consumers/{name}/replay-requests', url: `${feed}/replay-requests`, expected: CHANGES_PAYMENT },
  { route: 'GET /consumers/{name}/members/{member}/events', url: `${feed}/members/m9/events`, sse: true, expected: CHANGES_PAYMENT },
  { route: 'GET /consumers/{name}/members/{member}/events', url: `${feed}/members/m9/events?category=order`, sse: true, expected: [401, 401, 403, 403, 409, 409] },
  { route: 'GET /consumers/{name}/members/{member}/events', url: `${projectionConsumer}/members/m9/events`, sse: true, expected: REFUSED_TO_ALL },
  // no member has an open event stream on this server
  { route: 'POST /consumers/{name}/members/{member}/ack', url: `${feed}/members/m9/ack`, body: { position: 1 }, expected: [401, 401, 404, 404, 404, 404] },
  { route: 'GET /projections', url: '/projections', expected: ANY_TOKEN },
  { route: 'GET /projections/{name}', url: '/projections/paydocs', expected: READS_PAYMENT },
  { route: 'GET /projections/{name}/documents/{id}', url: '/projections/paydocs/documents/payment-1', expected: READS_PAYMENT },
  { route: 'GET /projections/{name}/documents', url: '/projections/paydocs/documents', expected: READS_PAYMENT },
  { route: 'GET /projections/{name}/search', url: '/projections/paydocs/search?q=x', expected: [401, 401, 403, 403, 409, 409] },
  { route: 'POST /projections', url: '/projections', body: { name: 'paytotals', version: 1, sink: 'documents', categories: ['payment'] }, expected: [401, 401, 403, 403, 403, 201] },
  { route: 'POST /projections/{name}/rebuild', url: '/projections/paydocs/rebuild', expected: [401, 401, 403, 403, 403, 202] },
  { route: 'DELETE /projections/{name}', url: '/projections/paydocs', expected: [401, 401, 403, 403, 403, 204] },
  { route: 'POST /lake/query', url: '/lake/query', body: { sql: 'SELECT 1 AS one' }, expected: ANY_TOKEN },
  // a lake over payment is no view at all for a token that may not read payment
  { route: 'POST /lake/query', url: '/lake/query', body: { sql: 'SELECT count(*) AS n FROM paylake' }, expected: [401, 401, 400, 400, 200, 200] },
  // the schemas of an event type belong to the categories it records: Paid to payment
  { route: 'GET /schemas', url: '/schemas', expected: ANY_TOKEN },
  { route: 'GET /schemas/openapi.json', url: '/schemas/openapi.json', expected: ANY_TOKEN },
  { route: 'GET /schemas/{type}', url: '/schemas/Paid', expected: READS_PAYMENT },
  { route: 'GET /schemas/{type}/versions/{version}', url: '/schemas/Paid/versions/latest', expected: READS_PAYMENT },
  { route: 'POST /schemas/{type}/check', url: '/schemas/Paid/check', body: { schema: true }, expected: READS_PAYMENT },
  // equal to the latest version: nothing is registered
  { route: 'POST /schemas/{type}/versions', url: '/schemas/Paid/versions', body: { schema: PAID_V2 }, expected: [401, 401, 403, 403, 200, 200] },
  { route: 'POST /schemas/{type}/versions', url: '/schemas/Refunded/versions', body: { schema: true, categories: ['payment'] }, expected: [401, 401, 403, 403, 201, 201] },
  { route: 'PUT /schemas/{type}/compatibility', url: '/schemas/Paid/compatibility', body: { compatibility: 'NONE' }, expected: CHANGES_PAYMENT_204 },
  { route: 'PUT /schemas/{type}/upcasters/{fromVersion}', url: '/schemas/Paid/upcasters/1', body: { rules: [{ op: 'default', path: '/currency', value: 'EUR' }] }, expected: CHANGES_PAYMENT_204 },
  { route: 'GET /schema-modes', url: '/schema-modes', expected: ANY_TOKEN },
  { route: 'PUT /schema-modes/{category}', url: '/schema-modes/payment', body: { mode: 'enforce' }, expected: CHANGES_PAYMENT_204 },
  // every token gets a catalog: a token without payment scope sees nothing of payment's types, consumers or projection in any format
  { route: 'PUT /privacy/{category}', url: '/privacy/payment', body: { subject: 'data.payer', fields: ['data.card'] }, expected: CHANGES_PAYMENT },
  { route: 'GET /privacy/{category}', url: '/privacy/payment', expected: READS_PAYMENT },
  { route: 'GET /privacy', url: '/privacy', expected: ANY_TOKEN },
  // with no category declared, forgetting a subject is for admin alone
  { route: 'POST /privacy/forget', url: '/privacy/forget', body: { subject: 'payer-1' }, expected: ADMIN_ONLY },
  { route: 'GET /catalog', url: '/catalog', expected: ANY_TOKEN },
  { route: 'GET /catalog', url: '/catalog?format=md', expected: ANY_TOKEN },
  { route: 'GET /catalog', url: '/catalog?format=json', expected: ANY_TOKEN },
  { route: 'GET /health', url: '/health', expected: [200, 200, 200, 200, 200, 200] },
  { route: 'GET /metrics', url: '/metrics', expected: ADMIN_ONLY },
  // a copy of the store carries every category: read:* for the log, admin for the other tables and the copy state
  { route: 'GET /copy/head', url: '/copy/head', expected: ADMIN_ONLY },
  { route: 'GET /copy/events', url: '/copy/events?after=0', expected: ADMIN_ONLY },
  { route: 'GET /copy/streams', url: '/copy/streams?afterChange=0', expected: ADMIN_ONLY },
  { route: 'GET /copy/tables', url: '/copy/tables', expected: ADMIN_ONLY },
  // a branch belongs to the categories its events touch: paybranch (created by write:payment) holds a payment event
  { route: 'POST /branches', url: '/branches', body: { name: 'newb', at: 1 }, expected: [401, 401, 403, 201, 201, 201] },
  { route: 'GET /branches', url: '/branches', expected: ANY_TOKEN },
  { route: 'GET /branches/{name}', url: '/branches/paybranch', expected: READS_PAYMENT },
  { route: 'GET /branches/{name}', url: '/branches/orderbranch', expected: READS_ORDER },
  { route: 'DELETE /branches/{name}', url: '/branches/paybranch', expected: CHANGES_PAYMENT_204 },
  // it touches no category yet: only its creator (write:order) and admin may delete it
  { route: 'DELETE /branches/{name}', url: '/branches/emptybranch', expected: [401, 401, 403, 204, 403, 204] },
  { route: 'POST /branches/{name}/streams/{stream}', url: '/branches/paybranch/streams/payment-9', body: append, expected: [401, 401, 403, 403, 201, 201] },
  { route: 'POST /branches/{name}/streams/{stream}', url: '/branches/paybranch/streams/order-9', body: append, expected: [401, 401, 403, 201, 403, 201] },
  { route: 'POST /branches/{name}/streams', url: '/branches/paybranch/streams', body: { appends: [{ stream: 'payment-9', ...append }] }, expected: [401, 401, 403, 403, 201, 201] },
  { route: 'GET /branches/{name}/streams/{stream}', url: '/branches/paybranch/streams/payment-1', expected: READS_PAYMENT },
  { route: 'GET /branches/{name}/streams/{stream}', url: '/branches/paybranch/streams/order-1', expected: READS_ORDER },
  { route: 'GET /branches/{name}/streams/{stream}/info', url: '/branches/paybranch/streams/payment-1/info', expected: READS_PAYMENT },
  { route: 'GET /branches/{name}/all', url: '/branches/paybranch/all?after=0', expected: ANY_TOKEN },
  { route: 'GET /branches/{name}/all', url: '/branches/paybranch/all?category=payment', expected: READS_PAYMENT },
  { route: 'POST /branches/{name}/all/query', url: '/branches/paybranch/all/query', body: { query: [{ types: ['Paid'] }] }, expected: ANY_TOKEN },
  { route: 'POST /branches/{name}/all/query', url: '/branches/paybranch/all/query', body: { query: [{ types: ['Paid'] }], categories: ['payment'] }, expected: READS_PAYMENT },
  { route: 'GET /branches/{name}/head', url: '/branches/paybranch/head', expected: ANY_TOKEN },
  { route: 'GET /branches/{name}/all/subscribe', url: '/branches/paybranch/all/subscribe?after=0', sse: true, expected: ANY_TOKEN },
  { route: 'GET /branches/{name}/all/subscribe', url: '/branches/paybranch/all/subscribe?after=0&category=payment', sse: true, expected: READS_PAYMENT },
  { route: 'GET /branches/{name}/streams/{stream}/subscribe', url: '/branches/paybranch/streams/payment-1/subscribe?after=0', sse: true, expected: READS_PAYMENT },
  // an event of a category the token may not read is one that does not exist, for reading and for reversing alike
  { route: 'GET /events/{id}', url: `/events/${PAY_EVENT}`, expected: [401, 401, 404, 404, 200, 200] },
  { route: 'GET /events/{id}', url: `/events/${ORDER_EVENT}`, expected: [401, 401, 200, 200, 404, 200] },
  { route: 'POST /events/{id}/reverse', url: `/events/${PAY_EVENT}/reverse`, body: { reason: 'keyed twice' }, expected: [401, 401, 404, 404, 201, 201] },
  { route: 'POST /events/{id}/reverse', url: `/events/${ORDER_EVENT}/reverse`, body: { reason: 'keyed twice' }, expected: [401, 401, 403, 201, 404, 201] },
  // a history or a correlation shows each token the events it may read, and counts the others
  { route: 'GET /correlations/{id}', url: '/correlations/deal-1', expected: ANY_TOKEN },
  { route: 'GET /history/{id}', url: '/history/deal-1', expected: ANY_TOKEN },
  { route: 'GET /history/{id}', url: '/history/payment-3', expected: ANY_TOKEN },
  // the store is no copy of another
  { route: 'GET /copy/state', url: '/copy/state', expected: [401, 401, 403, 403, 403, 409] },
];

const folder = mkdtempSync(join(tmpdir(), 'tributary-scopes-'));
// the same six tokens in every template, so one set of headers serves both backends
const MINTED = new Map(TOKENS.filter((name) => name !== 'none').map((name) => [name, mintToken(name, [name === 'revoked' ? 'admin' : name])]));
const headers = new Map<TokenName, Record<string, string>>(
  TOKENS.map((name): [TokenName, Record<string, string>] => [name, name === 'none' ? {} : { authorization: `Bearer ${MINTED.get(name)!.token}` }]),
);
let contract: OpenApiContract;
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A store of the template's content for one attempt, and how to throw it away. */
interface Copy {
  store: EventStore;
  drop(): Promise<void>;
}

/** A backend the matrix runs on: a template store is filled once, and every attempt gets a fresh copy of it. */
interface MatrixBackend {
  name: string;
  template(): Promise<EventStore>;
  /** Called once the template store is closed. */
  copy(): Promise<Copy>;
}

function sqliteBackend(): MatrixBackend {
  const template = join(folder, 'template.db');
  let copies = 0;
  return {
    name: 'sqlite',
    template: async () => openSqliteStore({ path: template }),
    async copy() {
      const path = join(folder, `case-${copies++}.db`);
      copyFileSync(template, path);
      return { store: openSqliteStore({ path }), drop: async () => rmSync(path, { force: true }) };
    },
  };
}

/** The file's PostgreSQL database is the template: nothing else connects to it, as CREATE DATABASE … TEMPLATE needs. */
function postgresBackend(): MatrixBackend {
  const template = database!;
  let copies = 0;
  const admin = () => new pg.Client({ connectionString: ADMIN_URL });
  return {
    name: 'postgres',
    template: async () => openPostgresStore({ url: template.url }),
    async copy() {
      const source = new URL(template.url).pathname.slice(1);
      const name = `${source}_c${copies++}`;
      const client = admin();
      await client.connect();
      // a database made from a template is a byte copy of it: far quicker than building the fixture again
      await client.query(`CREATE DATABASE ${name} TEMPLATE ${source}`);
      await client.end();
      const url = new URL(template.url);
      url.pathname = `/${name}`;
      return {
        store: await openPostgresStore({ url: url.toString() }),
        async drop() {
          const cleanup = admin();
          await cleanup.connect();
          await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await cleanup.end();
        },
      };
    },
  };
}

/** Fills a template store: the tokens, events, consumers, a parked event, a document projection and a lake over payment. */
async function fill(store: EventStore, lakeRoot: string): Promise<void> {
  for (const [name, { record }] of MINTED) {
    await store.tokens!.create(record);
    if (name === 'revoked') await store.tokens!.revoke(record.id);
  }
  await store.append('order-1', [{ type: 'Placed', data: { total: 10 } }]);
  await store.append('payment-1', [{ type: 'Paid', data: { amount: 10 } }]);
  await store.append('payment-2', [{ type: 'Paid', data: { amount: 20 }, tags: ['customer:7'] }]);
  await store.append('order-2', [{ type: 'Placed', data: { total: 20 }, tags: ['customer:7'] }]);
  await store.append('payment-3', [{ id: PAY_EVENT, type: 'Paid', data: { amount: 5 }, metadata: { correlationId: 'deal-1' } }]);
  await store.append('order-3', [{ id: ORDER_EVENT, type: 'Placed', data: { total: 5 }, metadata: { correlationId: 'deal-1' } }]);
  await store.consumers.register({ name: 'order-feed', partitions: 1, startAt: 0, filter: { categories: ['order'] } });
  await store.consumers.register({ name: 'pay-feed', partitions: 1, startAt: 0, filter: { categories: ['payment'] } });
  const [paid] = (await store.readStream('payment-1')).events;
  await store.consumers.park('pay-feed', { position: paid!.position, eventId: paid!.id, stream: 'payment-1', type: 'Paid', error: 'card declined', attempts: 3 });
  const projection = await runProjection(
    store,
    {
      name: 'paydocs',
      version: 1,
      filter: { categories: ['payment'] },
      sink: documentSink(),
      handlers: { Paid: (event, documents: DocumentsContext) => documents.patch(event.stream, event.data as Record<string, number>) },
    },
    { watchMs: 50 },
  );
  const lake = await runProjection(
    store,
    { name: 'paylake', version: 1, filter: { categories: ['payment'] }, sink: lakeSink({ directory: lakeRoot, rollMs: 20 }), handlers: { Paid: writeEvent } },
    { watchMs: 50 },
  );
  // payment's schemas: Paid in two versions, with payment named as its category
  const registry = withSchemas(store).schemas!;
  await registry.register('Paid', PAID_V1, { categories: ['payment'] });
  await registry.register('Paid', PAID_V2);
  await registry.setMode('payment', 'warn');
  // branches: one touching payment, one touching order, one touching nothing yet
  const branches = withBranches(store);
  await branches.branches!.create('paybranch', { createdBy: 'write:payment' });
  await branches.branch!('paybranch').append('payment-1', [{ type: 'Paid', data: { amount: 99 } }]);
  await branches.branches!.create('orderbranch', { createdBy: 'write:order' });
  await branches.branch!('orderbranch').append('order-1', [{ type: 'Placed', data: { total: 5 } }]);
  await branches.branches!.create('emptybranch', { createdBy: 'write:order' });
  await waitForProjection(store, 'paydocs', await store.headPosition());
  await waitForProjection(store, 'paylake', await store.headPosition(), { timeoutMs: 20_000 });
  await projection.stop();
  await lake.stop();
}

/** Everything of payment a token could see or change: events, consumer records, parked events, documents, the projection registry. */
async function paymentState(store: EventStore): Promise<unknown> {
  const events = (await store.readAll({ categories: ['payment'] })).events.map((event) => event.toJSON());
  // a record's `now` is the clock at the read, not state
  const records = (await Promise.all(['pay-feed', 'projection:paydocs:g1'].map((name) => store.consumers.get(name)))).map((record) => record && { ...record, now: 0 });
  const parked = await store.consumers.listParked('pay-feed');
  const documents = await findDocuments(store, 'paydocs', {});
  const projections = await listProjections(store.sql!);
  const metadata = await store.getStreamMetadata('payment-1');
  const registry = withSchemas(store).schemas!;
  const schemas = { types: (await registry.list()).filter((type) => type.categories.includes('payment')), modes: await registry.modes(), paid: await registry.describe('Paid') };
  const withBranch = withBranches(store);
  // who forked which branch where; the order team may add order events to a branch that holds payment's
  const branches = (await withBranch.branches!.list()).filter((branch) => branch.categories.includes('payment')).map(({ name, forkPosition, createdBy }) => ({ name, forkPosition, createdBy }));
  const branchEvents = (await withBranch.branch!('paybranch').readAll({ categories: ['payment'] }).catch(() => ({ events: [] }))).events.map((event) => event.toJSON());
  return { events, records, parked, documents, projections, metadata, schemas, branches, branchEvents };
}

/** Sends the case's request; a server-sent-events answer is read until its history is out, then dropped. */
async function send(base: string, c: Case, auth: Record<string, string>): Promise<{ status: number; text: string; json: boolean }> {
  const method = c.route.split(' ')[0]!;
  const gone = new AbortController();
  const response = await fetch(base + c.url, {
    method,
    headers: { ...auth, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
    signal: gone.signal,
  });
  const json = (response.headers.get('content-type') ?? '').includes('application/json');
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return { status: response.status, text: await response.text(), json };
  let text = '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const deadline = setTimeout(() => gone.abort(), 2_000);
  try {
    while (!/event: caught-up|\ndata: /.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
  } catch (error) {
    if (!gone.signal.aborted) throw error;
  } finally {
    clearTimeout(deadline);
    gone.abort();
  }
  return { status: response.status, text, json: false };
}

async function attempt(backend: MatrixBackend, c: Case, token: TokenName): Promise<void> {
  const copy = await backend.copy();
  const store = copy.store;
  const app = await buildServer({ store, open: false });
  try {
    const base = await listening(app);
    const before = PAYMENT_BLIND.has(token) ? await paymentState(store) : undefined;
    const answer = await send(base, c, headers.get(token)!);
    const expected = c.expected[TOKENS.indexOf(token)];
    expect({ case: `${c.route} ${c.url}`, token, status: answer.status }, answer.text.slice(0, 300)).toEqual({ case: `${c.route} ${c.url}`, token, status: expected });
    const [method, route] = c.route.split(' ') as [string, string];
    if (answer.json) contract.check(method, route, answer.status, answer.text === '' ? null : JSON.parse(answer.text));
    if (before !== undefined) {
      if (answer.status < 300) expect(answer.text, `${token} saw payment through ${c.url}`).not.toMatch(/pay/);
      expect(await paymentState(store), `${token} changed payment through ${method} ${c.url}`).toEqual(before);
    }
  } finally {
    await app.close();
    await store.close();
    await copy.drop();
  }
}

const matrixBackends: Record<SqlBackendName, () => MatrixBackend> = { sqlite: sqliteBackend, postgres: postgresBackend };

for (const backend of backends.map(({ name }) => matrixBackends[name]())) {
  describe(`the scope of every route on ${backend.name}`, () => {
    beforeAll(async () => {
      const store = await backend.template();
      try {
        await fill(store, join(folder, `lake-${backend.name}`));
        const app = await buildServer({ store, open: false });
        contract = await OpenApiContract.load(app);
        await app.close();
      } finally {
        await store.close();
      }
    }, 60_000);

    it('every operation of /openapi.json says its scope and is tried below', () => {
      const covered = new Set(CASES.map((c) => c.route));
      for (const path of contract.paths) {
        for (const method of contract.methods(path)) {
          const route = `${method.toUpperCase()} ${path}`;
          expect(contract.operation(method, path)['x-scope'], `${route} has no x-scope`).toEqual(expect.any(String));
          expect(covered.has(route), `${route} is not in the scope matrix`).toBe(true);
        }
      }
    });

    for (const c of CASES) {
      it(`${c.route} ${c.url}`, async () => {
        for (const token of TOKENS) await attempt(backend, c, token);
      });
    }
  });
}
