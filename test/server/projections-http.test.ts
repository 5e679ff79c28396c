import { expect, it } from 'vitest';
import { runProjection } from '../../src/projections/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { searchSink, type SearchContext } from '../../src/projections/sinks/search.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

it('projections over HTTP: status, a document read that waits for its own write, find by field, search; every answer matches /openapi.json', async () => {
  await withServer({ open: false }, async ({ app, store, token }) => {
    const contract = await OpenApiContract.load(app);
    const admin = await token('admin');
    // the path in OpenAPI form: /projections/{name}/documents/{id}
    const templateOf = (url: string) =>
      url
        .split('?')[0]!
        .replace(/^\/projections\/[^/]+/, '/projections/{name}')
        .replace(/\/documents\/[^/]+$/, '/documents/{id}');
    const get = async (url: string, headers: Record<string, string> = admin) => {
      const response = await app.inject({ method: 'GET', url, headers });
      const body: unknown = response.json();
      contract.check('GET', templateOf(url), response.statusCode, body);
      return { status: response.statusCode, body: body as Record<string, unknown> };
    };
    const carts = await runProjection(
      store,
      {
        name: 'carts',
        version: 1,
        sink: documentSink(),
        handlers: { ItemAdded: (event, documents: DocumentsContext) => documents.patch(event.stream, event.data as Record<string, string>) },
      },
      { watchMs: 50 },
    );
    const products = await runProjection(
      store,
      {
        name: 'products',
        version: 1,
        sink: searchSink(),
        handlers: { Listed: (event, index: SearchContext) => index.index(event.stream, event.data as Record<string, string>) },
      },
      { watchMs: 50 },
    );
    try {
      await store.append('product-1', [{ type: 'Listed', data: { title: 'Trail boots' } }]);
      const appended = await app.inject({ method: 'POST', url: '/streams/cart-1', headers: admin, payload: { events: [{ type: 'ItemAdded', data: { sku: 'boots', city: 'Lyon' } }] } });
      const { position } = appended.json<{ position: number }>();
      // waitFor: answered only once the projection has handled the append
      const read = await get(`/projections/carts/documents/cart-1?waitFor=${position}`);
      expect(read).toEqual({ status: 200, body: { id: 'cart-1', document: { sku: 'boots', city: 'Lyon' } } });
      expect((await get('/projections/carts/documents?field=city&value=Lyon')).body).toEqual({ documents: [{ id: 'cart-1', document: { sku: 'boots', city: 'Lyon' } }] });
      expect((await get('/projections/carts/documents/cart-9')).body).toMatchObject({ error: { code: 'DOCUMENT_NOT_FOUND' } });
      const found = await get(`/projections/products/search?q=boot&waitFor=${position}`);
      expect((found.body['hits'] as { id: string }[]).map((hit) => hit.id)).toEqual(['product-1']);
      const statuses = (await get('/projections')).body as unknown as { name: string; state: string }[];
      expect(statuses.map((status) => status.name)).toEqual(['carts', 'products']);
      expect(await get(`/projections/carts/documents/cart-1?waitFor=${position + 100}&timeoutMs=50`)).toMatchObject({
        status: 504,
        body: { error: { code: 'PROJECTION_NOT_CAUGHT_UP' } },
      });
      expect((await get('/projections/nothing/search?q=x')).status).toBe(404);
      // documents can hold any category's data: a token narrowed to one category may not read them
      const narrow = await token('read:cart');
      expect((await get('/projections/carts/documents/cart-1', narrow)).status).toBe(403);
    } finally {
      await carts.stop();
      await products.stop();
    }
  });
});
