import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { addDeclaredProjection } from '../../src/projections/lifecycle/file-projections.js';
import { watchStore } from '../support/watched-store.js';
import { listening, withServer } from './support.js';

const ERROR = 50;
const WARN = 40;

interface Line {
  level: number;
  msg: string;
  err?: { message?: string; code?: string };
}

/** A pino destination that keeps every line, for the `logger` option of buildServer. */
function captured() {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { lines, logger: { level: 'trace', stream } };
}

const failures = (lines: Line[]) => lines.filter((line) => line.level >= WARN);

describe('what a failed request is logged at', () => {
  it('504 PROJECTION_NOT_CAUGHT_UP is an answer, not an error: logged below warn', async () => {
    const log = captured();
    await withServer({ logger: log.logger }, async ({ app, store }) => {
      await addDeclaredProjection(store, { name: 'carts', version: 1, sink: 'documents', categories: ['cart'] });
      for (let i = 0; i < 5; i++) await store.append(`cart-${i}`, [{ type: 'ItemAdded', data: { i } }]);
      // nothing feeds the projection here, so the wait runs out
      const response = await app.inject({ method: 'GET', url: '/projections/carts/documents/cart-1?waitFor=5&timeoutMs=20' });
      expect(response.statusCode).toBe(504);
      expect(response.json()).toMatchObject({ error: { code: 'PROJECTION_NOT_CAUGHT_UP' } });
    });
    expect(failures(log.lines)).toEqual([]);
    expect(log.lines.some((line) => line.err?.code === 'PROJECTION_NOT_CAUGHT_UP')).toBe(true);
  });

  it('a client that drops a long poll (GET /head?after=) is normal: nothing at warn or above', async () => {
    const log = captured();
    await withServer({ logger: log.logger }, async ({ app }) => {
      const base = await listening(app);
      const controller = new AbortController();
      const polling = fetch(`${base}/head?after=100&timeoutMs=60000`, { signal: controller.signal }).catch(() => 'dropped');
      await new Promise((resolve) => setTimeout(resolve, 200));
      controller.abort();
      expect(await polling).toBe('dropped');
      // the server notices the close and ends the wait
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(failures(log.lines)).toEqual([]);
    expect(log.lines.some((line) => line.msg === 'client went away')).toBe(true);
  });

  it('what nobody expected is still an error, with its cause', async () => {
    const log = captured();
    await withServer({}, async ({ store }) => {
      const watched = watchStore(store);
      watched.before = (name) => {
        if (name === 'headPosition') throw new Error('a bug in the store');
      };
      await withServer({ store: watched.store, logger: log.logger }, async ({ app }) => {
        const response = await app.inject({ method: 'GET', url: '/head' });
        expect(response.statusCode).toBe(500);
        expect(response.json()).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
      });
    });
    expect(log.lines.filter((line) => line.level >= ERROR).map((line) => line.err?.message)).toEqual(['a bug in the store']);
  });
});
