import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { TributaryError } from '../../src/core/errors.js';
import { runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { lakeDirectoryOf } from '../../src/projections/definition/projection.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { STORE_NAMES } from '../../src/store/reserved-names.js';
import { steadyAppends } from '../projections/appends.js';
import { backends, scratch } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

// pino's numeric levels: 40 warn, 50 error
const WARN = 40;

describe.each(backends)('projections added and removed over HTTP on $name', ({ location }) => {
  it('a reserved or malformed name is 400 INVALID_PROJECTION; SQL keywords are fine names', async () => {
    const store = await openStore(location('http-names'));
    await withServer({ store }, async ({ app }) => {
      const contract = await OpenApiContract.load(app);
      const post = async (body: object) => {
        const response = await app.inject({ method: 'POST', url: '/projections', payload: body });
        contract.check('POST', '/projections', response.statusCode, response.json());
        return { status: response.statusCode, body: response.json<{ error?: { code: string; field: string; message: string } }>() };
      };
      for (const name of ['tokens', 'events', 'streams', 'consumers', 'tributary_projections', 'log_head', 'migrations', 'sqlite_master', 'pg_class']) {
        for (const sink of [{ sink: 'table', fields: { a: 'data.a' } }, { sink: 'documents' }, { sink: 'search', fields: { a: 'data.a' } }]) {
          const answer = await post({ name, version: 1, ...sink });
          expect(answer, `${name} as ${sink.sink}`).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PROJECTION', field: 'name' } } });
          expect(answer.body.error!.message).toContain('reserved');
        }
      }
      expect(STORE_NAMES).toContain('tokens');
      for (const name of ['Orders', '9lives', 'order-rows', 'a'.repeat(41), 'orders_g2', '', 42]) {
        expect(await post({ name, version: 1, sink: 'documents' }), String(name)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PROJECTION', field: 'name' } } });
      }
      const keywords = await post({ name: 'select', version: 1, sink: 'table', fields: { select: 'data.a', order: 'data.b', group: 'type' } });
      expect(keywords).toMatchObject({ status: 201, body: { name: 'select', sink: 'table' } });
      expect((await app.inject({ method: 'DELETE', url: '/projections/select' })).statusCode).toBe(204);
    });
  });

  it('DELETE while the lake rolls, 20 times, on a server hosting it: 204, nothing left on disk, nothing logged; a half-done removal is finished by the next DELETE', async () => {
    const store = await openStore(location('http-remove'));
    const directory = join(scratch, `http-remove-${store.sql!.dialect.name}`);
    const logged: { level: number; msg: string }[] = [];
    const logger = { level: 'info', stream: { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) } };
    await withServer({ store, logger }, async ({ app }) => {
      const contract = await OpenApiContract.load(app);
      const send = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
        const response = await app.inject({ method, url, payload });
        const body: unknown = response.body === '' ? null : response.json();
        contract.check(method, url.startsWith('/projections/') ? '/projections/{name}' : url, response.statusCode, body);
        return { status: response.statusCode, body };
      };
      // what `tributary serve` runs beside its routes
      const hosted = await runDeclaredProjections(store, { watchMs: 20, onError: (error) => app.log.warn({ err: error }, 'projection') });
      const appends = steadyAppends(store, 'order');
      const definition = { name: 'rolling', version: 1, sink: 'lake', categories: ['order'], directory, rollRows: 1, rollMs: 1 };
      try {
        for (let round = 0; round < 20; round++) {
          expect((await send('POST', '/projections', definition)).status).toBe(201);
          await until(() => (readManifest(lakeDirectoryOf(directory, 'rolling', 1))?.files.length ?? 0) > round % 3, 'the hosted lake rolls', 10_000);
          expect(await send('DELETE', '/projections/rolling'), `round ${round}`).toEqual({ status: 204, body: null });
          expect(existsSync(join(directory, 'rolling')), `round ${round}`).toBe(false);
          expect((await send('GET', '/projections/rolling')).status).toBe(404);
        }
      } finally {
        await appends.stop();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(readdirSync(directory)).toEqual([]);
      expect(logged.length).toBeGreaterThan(0);
      expect(logged.filter((line) => line.level >= WARN)).toEqual([]);
      expect((await store.consumers.list()).map((consumer) => consumer.name).filter((name) => name.startsWith('projection:'))).toEqual([]);

      // the database drops out after the tables went: the next DELETE finishes, an add meanwhile is told to retry
      expect((await send('POST', '/projections', definition)).status).toBe(201);
      await until(() => (readManifest(lakeDirectoryOf(directory, 'rolling', 1))?.files.length ?? 0) > 0, 'the hosted lake rolls', 10_000);
      const remove = store.consumers.remove.bind(store.consumers);
      store.consumers.remove = () => Promise.reject(new TributaryError('STORE_UNAVAILABLE', 'the database is unreachable'));
      try {
        expect(await send('DELETE', '/projections/rolling')).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
      } finally {
        store.consumers.remove = remove;
      }
      expect(await send('GET', '/projections/rolling')).toMatchObject({ status: 404 });
      expect(await send('POST', '/projections', definition)).toMatchObject({ status: 409, body: { error: { code: 'PROJECTION_BUSY' } } });
      expect(await send('DELETE', '/projections/rolling')).toEqual({ status: 204, body: null });
      expect(existsSync(join(directory, 'rolling'))).toBe(false);
      expect((await send('DELETE', '/projections/rolling')).status).toBe(404);
      await hosted.stop();
    });
  });
});
