import { describe, expect, it } from 'vitest';
import { catalogHtml } from '../../src/catalog/catalog-html.js';
import { catalogMarkdown } from '../../src/catalog/catalog-markdown.js';
import { eventCatalog, type CatalogType, type EventCatalog } from '../../src/catalog/event-catalog.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends } from '../support/backends.js';
import { withServer, type TestServer } from '../server/support.js';

const SCRIPT = '<script>alert(1)</script>';
// a loaded machine must not turn the history's appends into OVERLOADED: what sheds load is tested elsewhere
const SERVER = { open: false, overload: { maxEventLoopDelayMs: 0 } };
const placedV1 = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } }, additionalProperties: false };
const placedV2 = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' }, total: { type: 'number' } }, additionalProperties: false };

/**
 * Two teams append through the API with named tokens: orders-service writes
 * orders, checkout-web orders and invoices. OrderPlaced has two registered
 * versions; a consumer and a projection read some of the types. The store is
 * opened with its registry, on each SQL backend.
 */
async function history({ app, store, namedToken }: TestServer): Promise<void> {
  const orders = await namedToken('orders-service', 'write:order');
  const checkout = await namedToken('checkout-web', 'write:order', 'write:invoice');
  await store.schemas!.register('OrderPlaced', placedV1, { categories: ['order'] });
  await store.schemas!.register('OrderPlaced', placedV2, { categories: ['order'] });
  // written by invoices but registered for both teams' categories: only a token that reads both sees it
  await store.schemas!.register('Refunded', { type: 'object' }, { categories: ['invoice', 'order'] });
  const append = async (headers: object, stream: string, events: object[]) => {
    const response = await app.inject({ method: 'POST', url: `/streams/${stream}`, headers: headers as Record<string, string>, payload: { events } });
    expect(response.statusCode, response.body).toBe(201);
  };
  await append(orders, 'order-1', [
    { type: 'OrderPlaced', data: { orderId: '1' }, metadata: { schemaVersion: 1 } },
    { type: 'OrderShipped', data: { orderId: '1' } },
  ]);
  await append(checkout, 'order-2', [{ type: 'OrderPlaced', data: { orderId: '2', total: 30 }, metadata: { schemaVersion: 2 } }]);
  await append(checkout, 'order-3', [{ type: 'OrderPlaced', data: { orderId: '3', total: 12 }, metadata: { schemaVersion: 2 } }]);
  await append(checkout, 'invoice-2', [{ type: 'InvoiceIssued', data: { invoiceId: 'i-2' } }, { type: 'Refunded', data: {} }]);
  await append(orders, 'order-4', [{ type: SCRIPT, data: { note: '</pre><b>bold</b>' } }]);
  await store.consumers.register({ name: 'shipping', partitions: 1, startAt: 0, filter: { categories: ['order'], types: ['OrderPlaced'] } });
  await store.consumers.register({ name: 'invoicing', partitions: 1, startAt: 0, filter: { categories: ['invoice'] } });
  const totals = await runProjection(store, {
    name: 'totals',
    version: 1,
    sink: documentSink(),
    handlers: { OrderPlaced: (event, documents: DocumentsContext) => documents.patch(event.stream, { seen: true }) },
  });
  await totals.stop();
}

function typeOf(catalog: EventCatalog, type: string): CatalogType {
  const found = catalog.types.find((entry) => entry.type === type);
  expect(found, type).toBeDefined();
  return found!;
}

async function positionOf(store: EventStore, stream: string): Promise<number> {
  return (await store.streamInfo(stream)).lastPosition;
}

let tests = 0;

for (const backend of backends) {
  describe(`the event catalog on ${backend.name}`, () => {
    it('lists every type with its versions and their examples, producers, consumers, projections, count and last seen', async () => {
      await withServer({ ...SERVER, store: await openStore(backend.location(`catalog-${tests++}`)) }, async (server) => {
        await history(server);
        const { store } = server;
        const catalog = await eventCatalog(store);
        expect(catalog.types.map((entry) => entry.type)).toEqual([SCRIPT, 'InvoiceIssued', 'OrderPlaced', 'OrderShipped', 'Refunded']);

        const placed = typeOf(catalog, 'OrderPlaced');
        expect(placed).toMatchObject({
          categories: ['order'],
          compatibility: 'BACKWARD',
          producers: ['checkout-web', 'orders-service'],
          consumers: ['shipping'],
          projections: ['totals'],
          count: 3,
          lastSeen: { position: await positionOf(store, 'order-3') },
          unversionedExample: null,
        });
        expect(placed.versions.map((version) => [version.version, version.schema, version.example?.stream, version.example?.data])).toEqual([
          [1, placedV1, 'order-1', { orderId: '1' }],
          [2, placedV2, 'order-3', { orderId: '3', total: 12 }],
        ]);
        expect(placed.versions[1]!.example!.metadata).toEqual({ schemaVersion: 2, appendedBy: 'checkout-web' });
        expect(Date.parse(placed.lastSeen!.recordedAt)).toBeGreaterThan(Date.now() - 60_000);

        expect(typeOf(catalog, 'OrderShipped')).toMatchObject({
          categories: ['order'],
          compatibility: null,
          versions: [],
          producers: ['orders-service'],
          consumers: [],
          projections: [],
          count: 1,
          unversionedExample: { stream: 'order-1', data: { orderId: '1' }, metadata: { appendedBy: 'orders-service' } },
        });
        expect(typeOf(catalog, 'InvoiceIssued')).toMatchObject({ categories: ['invoice'], producers: ['checkout-web'], consumers: ['invoicing'], count: 1 });
        expect(typeOf(catalog, 'Refunded')).toMatchObject({ categories: ['invoice', 'order'], versions: [{ version: 1, example: { stream: 'invoice-2' } }], count: 1 });
        await expect(eventCatalog(store, { samplePerType: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      });
    });

    it('renders one self-contained HTML page with a table of contents, and Markdown, escaping what the log holds', async () => {
      await withServer({ ...SERVER, store: await openStore(backend.location(`catalog-${tests++}`)) }, async (server) => {
        await history(server);
        const catalog = await eventCatalog(server.store);
        const html = catalogHtml(catalog);
        expect(html).toMatch(/^<!DOCTYPE html>/);
        expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
        expect(html).not.toContain(SCRIPT);
        expect(html).not.toContain('<b>bold</b>');
        // nothing is fetched: no scripts, stylesheets, images or links out of the page
        expect(html).not.toMatch(/<script|<link|<img|src=|href="(?!#)/);
        const contents = [...html.matchAll(/<a href="#(type-\d+)">([^<]*)<\/a>/g)].map(([, anchor, name]) => [anchor, name]);
        expect(contents.map(([, name]) => name)).toEqual(['&lt;script&gt;alert(1)&lt;/script&gt;', 'InvoiceIssued', 'OrderPlaced', 'OrderShipped', 'Refunded']);
        for (const [anchor] of contents) expect(html).toContain(`<section id="${anchor}">`);
        expect(html).toContain('checkout-web, orders-service');
        expect(html).toContain('<h3>Version 2</h3>');

        const markdown = catalogMarkdown(catalog);
        expect(markdown).toContain('## OrderPlaced');
        expect(markdown).toContain('### Version 1');
        expect(markdown).toContain('- **Producers:** checkout\\-web, orders\\-service');
        expect(markdown).toContain('- **Consumers:** shipping');
        expect(markdown).toContain('- **Projections:** totals');
        expect(markdown).toContain('## &lt;script&gt;alert\\(1\\)&lt;/script&gt;');
        expect(markdown).not.toContain(SCRIPT);
      });
    });

    it('GET /catalog answers HTML, Markdown and JSON; a token of another team sees only the types of its categories', async () => {
      await withServer({ ...SERVER, store: await openStore(backend.location(`catalog-${tests++}`)) }, async (server) => {
        await history(server);
        const { app, token } = server;
        const admin = await token('admin');
        const invoices = await token('read:invoice');
        const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });

        const page = await get('/catalog', admin);
        expect([page.statusCode, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
        expect(page.body).toContain('OrderPlaced');
        const markdown = await get('/catalog?format=md', admin);
        expect([markdown.statusCode, markdown.headers['content-type']]).toEqual([200, 'text/markdown; charset=utf-8']);
        expect((await get('/catalog?format=json', admin)).json<EventCatalog>().types).toHaveLength(5);

        const narrow = await get('/catalog?format=json', invoices);
        const types = narrow.json<EventCatalog>().types;
        expect(types.map((entry) => [entry.type, entry.producers, entry.consumers, entry.projections, entry.count])).toEqual([
          ['InvoiceIssued', ['checkout-web'], ['invoicing'], [], 1],
        ]);
        for (const format of ['html', 'md', 'json']) {
          const body = (await get(`/catalog?format=${format}`, invoices)).body;
          // \border: the page's own style says border
          expect(body, format).not.toMatch(/\border|Order|Refunded|shipping|totals|alert/);
        }
      });
    });
  });
}
