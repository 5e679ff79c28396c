import { expect, it } from 'vitest';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { searchSink, type SearchContext } from '../../src/projections/sinks/search.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

it('projections over HTTP: status, a document read that waits for its own write, find by field, search; every answer matches /openapi.json', async () => {
  await withServer({ open: false }, async ({ app, store, token }) => {
    const contract = await OpenApiContract.load(app);
    const admin = await token('admin');
    let narrowHeaders: Record<string, string>;
    // the path in OpenAPI form: /projections/{name}/documents/{id}
    const templateOf = (url: string) =>
      url
        .split('?')[0]!
        .replace(/^\/projections\/[^/]+/, '/projections/{name}')
        .replace(/\/documents\/[^/]+$/, '/documents/{id}');
    const send = async (method: 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = admin) => {
      const response = await app.inject({ method, url, headers, payload });
      const body: unknown = response.body === '' ? null : response.json();
      contract.check(method, templateOf(url), response.statusCode, body);
      return { status: response.statusCode, body: body as Record<string, unknown> };
    };
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
      narrowHeaders = await token('read:cart');
      expect((await get('/projections/carts/documents/cart-1', narrowHeaders)).status).toBe(403);
    } finally {
      await carts.stop();
      await products.stop();
    }

    // managing projections without TypeScript: the server's store hosts declared ones (serve runs them)
    const added = await send('POST', '/projections', { name: 'cities', version: 1, sink: 'documents', categories: ['cart'], fields: { city: 'data.city' } });
    expect(added).toMatchObject({ status: 201, body: { name: 'cities', sink: 'documents', generation: 1, mode: 'async' } });
    expect((await send('POST', '/projections', { name: 'broken', version: 1, sink: 'elastic' })).body).toMatchObject({ error: { code: 'INVALID_PROJECTION' } });
    expect(await send('POST', '/projections/carts/rebuild')).toEqual({ status: 202, body: { generation: 2, resumed: false } });
    expect(await send('POST', '/projections/carts/rebuild')).toEqual({ status: 202, body: { generation: 2, resumed: true } });
    expect((await get('/projections/carts')).body).toMatchObject({ name: 'carts', generation: 1, rebuilding: { generation: 2 } });
    expect((await send('DELETE', '/projections/cities')).status).toBe(204);
    expect((await get('/projections/cities')).status).toBe(404);
    expect((await send('POST', '/projections', { name: 'x', version: 1, sink: 'table', fields: { a: 'data.a' } }, narrowHeaders)).status).toBe(403);
    const lake = await send('POST', '/lake/query', { sql: 'SELECT 41 + 1 AS answer' });
    expect(lake).toEqual({ status: 200, body: { rows: [{ answer: 42 }], truncated: false } });
    expect((await send('POST', '/lake/query', { sql: 'SELECT * FROM nowhere' })).body).toMatchObject({ error: { code: 'LAKE_QUERY_FAILED' } });
  });
});
